/*
 * pthread_once with its fast path inline. Every API call asks for the
 * kernel tables and the default thread count; after the first, that is one
 * acquire load here instead of a call into libc through the PLT (a few
 * nanoseconds each, a visible share of a call on a small tensor).
 */
#ifndef GLK_ONCE_H
#define GLK_ONCE_H

#include <pthread.h>
#include <stdatomic.h>

static inline void glk__once(pthread_once_t *once, atomic_int *done, void (*init)(void)) {
  if (atomic_load_explicit(done, memory_order_acquire)) return;
  pthread_once(once, init); /* waits for a concurrent first caller */
  atomic_store_explicit(done, 1, memory_order_release);
}

#endif

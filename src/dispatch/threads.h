/*
 * Internal: a small fork-join pool. Workers are created the first time a
 * call asks for more than one thread and live for the process; a call then
 * only publishes a job and waits for its tasks (not for workers that have
 * not woken yet), allocating nothing. Between jobs the waits spin briefly
 * before they sleep (GLUKIT_SPIN_US, threads.c). One job runs at a time: a
 * call that finds the pool busy runs its tasks on its own thread, as does a
 * job of 2^32 tasks or more.
 */
#ifndef GLK_THREADS_H
#define GLK_THREADS_H

#include <stddef.h>

typedef void (*glk_task_fn)(void *ctx, size_t task);

/* Runs fn(ctx, t) for t < tasks on up to `threads` threads (the caller
 * included) and returns when all are done. */
void glk__parallel_for(int threads, size_t tasks, glk_task_fn fn, void *ctx);

/* GLUKIT_NUM_THREADS if set (>= 1), otherwise the online cores. */
int glk__default_threads(void);

#endif

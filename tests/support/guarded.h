/*
 * Buffers between two inaccessible pages (mprotect PROT_NONE), so that a
 * single byte read or written out of bounds faults at once. The usable bytes
 * sit flush against the trailing guard page (guarded_tail) or right after
 * the leading one (guarded_head).
 */
#ifndef GLK_TEST_GUARDED_H
#define GLK_TEST_GUARDED_H

#include <stddef.h>

typedef struct guarded {
  unsigned char *map; /* the whole mapping, guard pages included */
  size_t map_bytes;
  unsigned char *head; /* first usable byte, right after the leading guard */
  unsigned char *tail; /* `bytes` usable bytes ending at the trailing guard */
  size_t bytes;
} guarded;

/* Maps `bytes` usable bytes (any size, 0 included) between guard pages. */
void guarded_alloc(guarded *g, size_t bytes);
void guarded_free(guarded *g);

#endif

#define _DEFAULT_SOURCE /* MAP_ANONYMOUS under -std=c11 */
#include "support/guarded.h"

#include <sys/mman.h>
#include <unistd.h>

#include "support/check.h"

void guarded_alloc(guarded *g, size_t bytes) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t body = (bytes + page - 1) / page * page;
  g->map_bytes = body + 2 * page;
  g->map = mmap(NULL, g->map_bytes, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(g->map != MAP_FAILED);
  CHECK(mprotect(g->map, page, PROT_NONE) == 0);
  CHECK(mprotect(g->map + page + body, page, PROT_NONE) == 0);
  g->head = g->map + page;
  g->tail = g->map + page + body - bytes;
  g->bytes = bytes;
}

void guarded_free(guarded *g) {
  CHECK(munmap(g->map, g->map_bytes) == 0);
  g->map = g->head = g->tail = NULL;
}

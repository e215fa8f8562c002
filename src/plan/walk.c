#include "plan/walk.h"

#include <string.h>

#include "dispatch/threads.h"

/* Elements per stack tile of the strided path: 5 tiles of f64 = 10 KiB. */
#define GLK_TILE 256

void glk_walk_init(glk_walk *w, int nops, size_t esize, int32_t rank,
                   const int64_t *shape) {
  /* Not a memset of the whole walk (440 bytes: a sixth of a small call's
   * fixed cost); every reader stays within rank and nops, which
   * glk_walk_set fills. */
  for (int op = 0; op < GLK_MAX_OPERANDS; op++) w->base[op] = NULL;
  w->nops = nops;
  w->esize = esize;
  w->rank = rank;
  for (int32_t i = 0; i < rank; i++) w->shape[i] = shape[i];
}

void glk_walk_set(glk_walk *w, int op, const int64_t *strides, int32_t axis,
                  int64_t axis_step) {
  for (int i = 0; i < w->rank; i++)
    w->stride[op][i] = strides[i] * (i == axis ? axis_step : 1);
}

static int64_t glk_abs64(int64_t v) { return v < 0 ? -v : v; }

static void glk_walk_swap_dims(glk_walk *w, int a, int b) {
  int64_t t = w->shape[a];
  w->shape[a] = w->shape[b];
  w->shape[b] = t;
  for (int op = 0; op < w->nops; op++) {
    t = w->stride[op][a];
    w->stride[op][a] = w->stride[op][b];
    w->stride[op][b] = t;
  }
}

void glk_walk_simplify(glk_walk *w, int primary) {
  /* 1. Drop unit dims (callers never pass an empty index space). */
  int r = 0;
  for (int i = 0; i < w->rank; i++) {
    if (w->shape[i] == 1) continue;
    w->shape[r] = w->shape[i];
    for (int op = 0; op < w->nops; op++) w->stride[op][r] = w->stride[op][i];
    r++;
  }
  if (r == 0) { /* a single element */
    w->shape[0] = 1;
    for (int op = 0; op < w->nops; op++) w->stride[op][0] = 1;
    r = 1;
  }
  w->rank = r;
  /* 2. Largest output stride outermost, so the output is written in order
   *    (stable: equal strides keep the caller's order). */
  for (int i = 1; i < r; i++)
    for (int j = i; j > 0 && glk_abs64(w->stride[primary][j - 1]) <
                                 glk_abs64(w->stride[primary][j]);
         j--)
      glk_walk_swap_dims(w, j - 1, j);
  /* 3. Merge an outer dim into the next inner one when every operand steps
   *    over the inner dim's whole extent with the outer stride. */
  int out = 0;
  for (int i = 1; i < r; i++) {
    int mergeable = 1;
    for (int op = 0; op < w->nops && mergeable; op++)
      mergeable = w->stride[op][out] == w->stride[op][i] * w->shape[i];
    if (mergeable) {
      w->shape[out] *= w->shape[i];
      for (int op = 0; op < w->nops; op++)
        w->stride[op][out] = w->stride[op][i];
    } else {
      out++;
      w->shape[out] = w->shape[i];
      for (int op = 0; op < w->nops; op++)
        w->stride[op][out] = w->stride[op][i];
    }
  }
  w->rank = out + 1;
}

/* ---- running the innermost dim ------------------------------------------ */

typedef enum { GLK_RUN_PLANAR, GLK_RUN_PAIRS, GLK_RUN_TILED } glk_run_mode;

typedef struct glk_run_ctx {
  const glk_walk *w;
  const glk_kernel_set *k;
  glk_ukernel_params p; /* gate_first set for the pairs mode */
  glk_run_mode mode;
  int backward;
  int64_t inner_stride[GLK_MAX_OPERANDS];
  char *base[GLK_MAX_OPERANDS];
} glk_run_ctx;

/* Strided copies to and from a tile, one loop per element size so each
 * memcpy has a constant size and compiles to a plain move. */
#define GLK_DEFINE_COPIES(SIZE)                                              \
  static void glk_gather_##SIZE(char *dst, const char *src, int64_t s,       \
                                size_t n) {                                  \
    for (size_t i = 0; i < n; i++)                                           \
      memcpy(dst + i * SIZE, src + (int64_t)i * s * SIZE, SIZE);             \
  }                                                                          \
  static void glk_scatter_##SIZE(char *dst, int64_t s, const char *src,      \
                                 size_t n) {                                 \
    for (size_t i = 0; i < n; i++)                                           \
      memcpy(dst + (int64_t)i * s * SIZE, src + i * SIZE, SIZE);             \
  }
GLK_DEFINE_COPIES(2)
GLK_DEFINE_COPIES(4)
GLK_DEFINE_COPIES(8)
static void glk_gather(char *dst, const char *src, int64_t stride, size_t n,
                       size_t esize) {
  if (esize == 2) glk_gather_2(dst, src, stride, n);
  else if (esize == 4) glk_gather_4(dst, src, stride, n);
  else glk_gather_8(dst, src, stride, n);
}

static void glk_scatter(char *dst, int64_t stride, const char *src, size_t n,
                        size_t esize) {
  if (esize == 2) glk_scatter_2(dst, stride, src, n);
  else if (esize == 4) glk_scatter_4(dst, stride, src, n);
  else glk_scatter_8(dst, stride, src, n);
}

/* One strided run of n elements through stack tiles, GLK_TILE at a time. */
static void glk_run_tiled(const glk_run_ctx *c, char *const ptr[], size_t n) {
  _Alignas(64) char tile[GLK_MAX_OPERANDS][GLK_TILE * 8];
  const size_t es = c->w->esize;
  const int nops = c->w->nops;
  const int first_out = c->backward ? GLK_OP_DV : GLK_OP_Y;
  for (size_t done = 0; done < n; done += GLK_TILE) {
    const size_t m = n - done < GLK_TILE ? n - done : GLK_TILE;
    char *at[GLK_MAX_OPERANDS];
    for (int op = 0; op < nops; op++) {
      const int64_t s = c->inner_stride[op];
      char *src = ptr[op] + (int64_t)done * s * (int64_t)es;
      if (s == 1) {
        at[op] = src;
      } else {
        at[op] = tile[op];
        /* Outputs are read only when accumulating into them. */
        if (op < first_out || c->p.accumulate) glk_gather(tile[op], src, s, m, es);
      }
    }
    if (c->backward)
      c->k->bwd(m, at[GLK_OP_V], at[GLK_OP_G], at[GLK_OP_DY], at[GLK_OP_DV],
                at[GLK_OP_DG], &c->p);
    else
      c->k->fwd(m, at[GLK_OP_V], at[GLK_OP_G], at[GLK_OP_Y], &c->p);
    for (int op = first_out; op < nops; op++) {
      const int64_t s = c->inner_stride[op];
      if (s != 1)
        glk_scatter(ptr[op] + (int64_t)done * s * (int64_t)es, s, tile[op], m, es);
    }
  }
}

static void glk_run(const glk_run_ctx *c, char *const ptr[], size_t n) {
  switch (c->mode) {
    case GLK_RUN_PLANAR:
      if (c->backward)
        c->k->bwd(n, ptr[GLK_OP_V], ptr[GLK_OP_G], ptr[GLK_OP_DY],
                  ptr[GLK_OP_DV], ptr[GLK_OP_DG], &c->p);
      else
        c->k->fwd(n, ptr[GLK_OP_V], ptr[GLK_OP_G], ptr[GLK_OP_Y], &c->p);
      break;
    case GLK_RUN_PAIRS: {
      /* The pair starts at whichever member comes first in memory. */
      const int lead = c->p.gate_first ? GLK_OP_G : GLK_OP_V;
      if (c->backward)
        c->k->bwd_pairs(n, ptr[lead], ptr[GLK_OP_DY],
                        ptr[c->p.gate_first ? GLK_OP_DG : GLK_OP_DV], &c->p);
      else
        c->k->fwd_pairs(n, ptr[lead], ptr[GLK_OP_Y], &c->p);
      break;
    }
    case GLK_RUN_TILED:
      glk_run_tiled(c, ptr, n);
      break;
  }
}

/* Operands a and b are the two members of contiguous pairs: stride 2 inner,
 * the same strides outside, one element apart. Returns +1 when b follows a,
 * -1 when a follows b, 0 otherwise. */
static int glk_pair_order_at(const glk_walk *w, char *const *base, int a, int b) {
  for (int d = 0; d < w->rank; d++)
    if (w->stride[a][d] != w->stride[b][d]) return 0;
  if (w->stride[a][w->rank - 1] != 2) return 0;
  const ptrdiff_t gap = base[b] - base[a];
  if (gap == (ptrdiff_t)w->esize) return 1;
  if (gap == -(ptrdiff_t)w->esize) return -1;
  return 0;
}

int glk_walk_pair_order(const glk_walk *w, int a, int b) {
  return glk_pair_order_at(w, w->base, a, b);
}

/* Chooses how the innermost dim runs: planar, pairs or tiled. */
static void glk_choose_mode(const glk_walk *w, glk_run_ctx *c) {
  const int inner = w->rank - 1;
  int all_unit = 1;
  for (int op = 0; op < w->nops; op++) {
    c->inner_stride[op] = w->stride[op][inner];
    all_unit &= c->inner_stride[op] == 1 || w->shape[inner] == 1;
  }
  c->mode = all_unit ? GLK_RUN_PLANAR : GLK_RUN_TILED;
  if (!all_unit) {
    const int order = glk_pair_order_at(w, c->base, GLK_OP_V, GLK_OP_G);
    int pairs = order != 0 && c->inner_stride[c->backward ? GLK_OP_DY : GLK_OP_Y] == 1;
    if (pairs && c->backward)
      pairs = glk_pair_order_at(w, c->base, GLK_OP_DV, GLK_OP_DG) == order;
    if (pairs) {
      c->mode = GLK_RUN_PAIRS;
      c->p.gate_first = order < 0;
    }
  }
  if (c->mode == GLK_RUN_PLANAR) /* a unit-length run may have any stride */
    for (int op = 0; op < w->nops; op++) c->inner_stride[op] = 1;
}

/* Whole rows [r0, r1) of a walk of rank 2, the common case of a batch of
 * rows, without the odometer: the rows kernel where the table has one,
 * the planar backward in its own loop, the rest through glk_run. For short
 * rows the general loop's bookkeeping cost as much as computing them (8x64
 * f32 glu forward, one thread: 214 -> 185 ns). Row r's pointers are formed from
 * the bases (never stepped past the last row). */
static void glk_walk_rows(const glk_run_ctx *c, int64_t r0, int64_t r1) {
  const glk_walk *w = c->w;
  const size_t n = (size_t)w->shape[1];
  int64_t step[GLK_MAX_OPERANDS];
  for (int op = 0; op < w->nops; op++) step[op] = w->stride[op][0] * (int64_t)w->esize;
  char *const *base = c->base;
  const glk_ukernel_params *p = &c->p;
  if (c->mode == GLK_RUN_PLANAR && !c->backward && c->k->fwd_rows) {
    c->k->fwd_rows((size_t)(r1 - r0), n, base[GLK_OP_V] + r0 * step[GLK_OP_V], step[GLK_OP_V],
                   base[GLK_OP_G] + r0 * step[GLK_OP_G], step[GLK_OP_G],
                   base[GLK_OP_Y] + r0 * step[GLK_OP_Y], step[GLK_OP_Y], p);
  } else if (c->mode == GLK_RUN_PLANAR && c->backward) {
    const glk_bwd_ukernel bwd = c->k->bwd;
    for (int64_t r = r0; r < r1; r++)
      bwd(n, base[GLK_OP_V] + r * step[GLK_OP_V], base[GLK_OP_G] + r * step[GLK_OP_G],
          base[GLK_OP_DY] + r * step[GLK_OP_DY], base[GLK_OP_DV] + r * step[GLK_OP_DV],
          base[GLK_OP_DG] + r * step[GLK_OP_DG], p);
  } else {
    char *ptr[GLK_MAX_OPERANDS];
    for (int64_t r = r0; r < r1; r++) {
      for (int op = 0; op < w->nops; op++) ptr[op] = base[op] + r * step[op];
      glk_run(c, ptr, n);
    }
  }
}

/* Runs elements [begin, end) of the index space, in walk order. */
static void glk_walk_range(const glk_run_ctx *c, int64_t begin, int64_t end) {
  const glk_walk *w = c->w;
  const int inner = w->rank - 1, nops = w->nops;
  const int64_t n = w->shape[inner];
  if (inner == 1) { /* whole rows: the one-thread walk without a division */
    if (begin == 0 && end == w->shape[0] * n) {
      glk_walk_rows(c, 0, w->shape[0]);
      return;
    }
    if (begin % n == 0 && end % n == 0) {
      glk_walk_rows(c, begin / n, end / n);
      return;
    }
  }
  /* begin's coordinates (skipped at 0, a one-thread walk: 64-bit
   * divisions cost a small call more than its odometer) */
  int64_t outer = begin ? begin / n : 0, off = begin ? begin % n : 0;
  int64_t idx[GLK_MAX_RANK] = {0}, at[GLK_MAX_OPERANDS] = {0};
  for (int d = inner - 1; d >= 0 && outer; d--) {
    idx[d] = outer % w->shape[d];
    outer /= w->shape[d];
    for (int op = 0; op < nops; op++) at[op] += idx[d] * w->stride[op][d];
  }
  char *ptr[GLK_MAX_OPERANDS];
  for (int64_t pos = begin; pos < end;) {
    const int64_t len = n - off < end - pos ? n - off : end - pos;
    for (int op = 0; op < nops; op++)
      ptr[op] = c->base[op] + (at[op] + off * c->inner_stride[op]) * (int64_t)w->esize;
    glk_run(c, ptr, (size_t)len);
    pos += len;
    off = 0;
    for (int d = inner - 1; d >= 0; d--) { /* odometer over the outer dims */
      for (int op = 0; op < nops; op++) at[op] += w->stride[op][d];
      if (++idx[d] < w->shape[d]) break;
      for (int op = 0; op < nops; op++) at[op] -= w->stride[op][d] * w->shape[d];
      idx[d] = 0;
    }
  }
}

/* Work below this many bytes of traffic per thread stays on one thread. */
#define GLK_MIN_BYTES_PER_THREAD (64 * 1024)
/* Elements per task: big enough to amortise, small enough to balance. */
#define GLK_TASK_ELEMENTS (32 * 1024)

typedef struct glk_parallel_job {
  const glk_run_ctx *c;
  int64_t total, chunk;
} glk_parallel_job;

static void glk_run_task(void *ctx, size_t task) {
  const glk_parallel_job *job = ctx;
  const int64_t begin = (int64_t)task * job->chunk;
  const int64_t end = begin + job->chunk < job->total ? begin + job->chunk : job->total;
  glk_walk_range(job->c, begin, end);
}

/* Outputs at least this large bypass the caches (non-temporal stores):
 * they would not stay there anyway, and ordinary stores first read every
 * line they write. */
#define GLK_STREAM_OUTPUT_BYTES (16 << 20)

static void glk_walk_run_all(const glk_walk *w, glk_run_ctx *c, int threads) {
  glk_choose_mode(w, c);
  int64_t total = 1;
  for (int d = 0; d < w->rank; d++) total *= w->shape[d];
  const int64_t out_bytes = total * (int64_t)w->esize * (c->backward ? 2 : 1);
  c->p.stream_stores = out_bytes >= GLK_STREAM_OUTPUT_BYTES;
  const int64_t bytes = total * (int64_t)(w->esize * (size_t)w->nops);
  const int64_t useful = bytes / GLK_MIN_BYTES_PER_THREAD;
  if (useful < threads) threads = useful < 1 ? 1 : (int)useful;
  if (threads <= 1) {
    glk_walk_range(c, 0, total);
    return;
  }
  /* Tasks of whole 64-element blocks, at least 4 per thread. */
  int64_t chunk = total / (4 * threads);
  if (chunk > GLK_TASK_ELEMENTS) chunk = GLK_TASK_ELEMENTS;
  chunk = (chunk + 63) / 64 * 64;
  glk_parallel_job job = {c, total, chunk};
  glk__parallel_for(threads, (size_t)((total + chunk - 1) / chunk), glk_run_task, &job);
}

/* Field by field: an initializer would zero the whole context first (a
 * `rep stos` worth several nanoseconds of a small call); choose_mode fills
 * the rest. All GLK_MAX_OPERANDS bases are copied (a fixed count, no memcpy
 * call); those past nops are never read. */
static void glk_walk_start(const glk_walk *w, char *const *base, const glk_kernel_set *k,
                           const glk_ukernel_params *p, int backward, int threads) {
  glk_run_ctx c;
  c.w = w, c.k = k, c.p = *p, c.backward = backward;
  for (int op = 0; op < GLK_MAX_OPERANDS; op++) c.base[op] = base[op];
  glk_walk_run_all(w, &c, threads);
}

void glk_walk_forward(const glk_walk *w, char *const *base, const glk_kernel_set *k,
                      const glk_ukernel_params *p, int threads) {
  glk_walk_start(w, base, k, p, 0, threads);
}

void glk_walk_backward(const glk_walk *w, char *const *base, const glk_kernel_set *k,
                       const glk_ukernel_params *p, int threads) {
  glk_walk_start(w, base, k, p, 1, threads);
}

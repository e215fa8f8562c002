/*
 * The CUDA backend's entry: device properties (read once), the mode of
 * the innermost dim, launch geometry, the launch, and CUDA errors mapped to
 * glukit statuses. Nothing here waits for the device or allocates.
 */
#include <cuda_runtime.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

extern "C" {
#include "api/error.h"
}
#include "cuda/cuda_plan.cuh"
#include "cuda/glk_cuda.h"

namespace {

using namespace glkc;

/* ---- device properties, once per process --------------------------------- */

constexpr int kMaxDevices = 64;

struct DeviceInfo {
  int sms;            /* multiprocessors */
  int threads_per_sm; /* resident threads per multiprocessor */
};

pthread_once_t g_once = PTHREAD_ONCE_INIT;
int g_devices = 0;
cudaError_t g_init_error = cudaSuccess;
DeviceInfo g_info[kMaxDevices];

void query(int dev, DeviceInfo *info) {
  int sms = 0, threads = 0;
  if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&threads, cudaDevAttrMaxThreadsPerMultiProcessor, dev) !=
          cudaSuccess) {
    (void)cudaGetLastError();
    sms = 0;
    threads = 0;
  }
  info->sms = sms > 0 ? sms : 1;
  info->threads_per_sm = threads >= kThreads ? threads : kThreads;
}

void init_devices() {
  int n = 0;
  g_init_error = cudaGetDeviceCount(&n);
  if (g_init_error != cudaSuccess) {
    (void)cudaGetLastError(); /* not sticky: leave no error behind */
    n = 0;
  }
  for (int d = 0; d < n && d < kMaxDevices; d++) query(d, &g_info[d]);
  g_devices = n;
}

/* A failed CUDA call: no device or no kernel image for it is unsupported,
 * anything else a device error. */
glk_status cuda_fail(cudaError_t e, const char *what) {
  const glk_status st = (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver ||
                         e == cudaErrorNoKernelImageForDevice ||
                         e == cudaErrorUnsupportedPtxVersion)
                            ? GLK_ERR_UNSUPPORTED
                            : GLK_ERR_DEVICE;
  return glk__fail(st, "CUDA: %s failed: %s (%s, error %d)", what,
                   cudaGetErrorString(e), cudaGetErrorName(e), (int)e);
}

/* ---- the mode of the innermost dim --------------------------------------- */

bool aligned16(const char *p) { return ((uintptr_t)p & 15u) == 0; }

int64_t ceil_div(int64_t a, int64_t b) { return a / b + (a % b != 0); }

int vec_of(glk_dtype dt) { return dt == GLK_DTYPE_F64 ? 2 : dt == GLK_DTYPE_F32 ? 4 : 8; }

/* Fills the operands and chooses the mode; returns the mode. */
int plan_operands(const glk_walk *w, int backward, Plan *P) {
  const int nops = w->nops, inner = w->rank - 1;
  const int64_t n = w->shape[inner];
  P->n = n;
  P->outer_rank = inner;
  P->rows = 1;
  for (int d = 0; d < inner; d++) {
    P->outer_shape[d] = w->shape[d];
    P->rows *= w->shape[d];
  }
  for (int op = 0; op < nops; op++) {
    P->base[op] = w->base[op];
    P->inner_stride[op] = w->stride[op][inner];
    for (int d = 0; d < inner; d++) P->outer_stride[op][d] = w->stride[op][d];
  }

  bool planar = true;
  for (int op = 0; op < nops; op++) planar &= P->inner_stride[op] == 1 || n == 1;
  int mode = MODE_GENERIC;
  if (planar) {
    mode = MODE_PLANAR;
  } else {
    const int order = glk_walk_pair_order(w, OP_V, OP_G);
    bool pairs = order != 0 && P->inner_stride[backward ? OP_DY : OP_Y] == 1;
    if (pairs && backward) pairs = glk_walk_pair_order(w, OP_DV, OP_DG) == order;
    if (pairs) {
      mode = MODE_PAIRS;
      P->gate_first = order < 0;
      if (order < 0) { /* the gate leads: base[V] and base[DV] become the pairs' */
        P->base[OP_V] = w->base[OP_G];
        if (backward) P->base[OP_DV] = w->base[OP_DG];
      }
    }
  }
  return mode;
}

/* The vector modes need whole 16-byte units along every row. */
bool vector_ok(const glk_walk *w, const Plan *P, int mode, int backward, int vec) {
  if (mode == MODE_GENERIC || P->n % vec != 0) return false;
  const size_t es = w->esize;
  int ops[kMaxOps], k = 0;
  if (mode == MODE_PLANAR) {
    for (int op = 0; op < w->nops; op++) ops[k++] = op;
  } else { /* pairs: the leading members and the planar dy or y */
    ops[k++] = OP_V;
    ops[k++] = backward ? OP_DY : OP_Y;
    if (backward) ops[k++] = OP_DV;
  }
  for (int i = 0; i < k; i++) {
    const int op = ops[i];
    if (!aligned16(P->base[op])) return false;
    for (int d = 0; d < P->outer_rank; d++)
      if (((uint64_t)P->outer_stride[op][d] * es) % 16 != 0) return false;
  }
  return true;
}

/* Lanes per row, units per lane, chunks and items, and the block count. */
unsigned plan_geometry(Plan *P, bool vector, const DeviceInfo &dev) {
  const int64_t max_blocks = (int64_t)dev.sms * (dev.threads_per_sm / kThreads);
  const int64_t slots = max_blocks * kThreads;
  const int64_t units = P->units;
  const int64_t total = P->rows * units; /* fits: at most the element count */
  const int max_unroll = vector ? 2 : kMaxUnroll;
  int U = 1;
  while (U < max_unroll && total >= (int64_t)(2 * U) * slots) U *= 2;
  int64_t L;
  if (units >= (int64_t)kThreads * U) {
    /* whole chunks where a power of two allows it */
    L = kThreads;
    for (int64_t l = kThreads; l >= 64; l /= 2)
      if (units % (l * U) == 0) {
        L = l;
        break;
      }
  } else {
    const int64_t need = ceil_div(units, U);
    L = 1;
    while (L < need) L *= 2;
  }
  int shift = 0;
  while ((int64_t(1) << shift) < L) shift++;
  P->lane_shift = shift;
  P->sub_rows = kThreads >> shift;
  P->unroll = U;
  P->cpr = ceil_div(units, L * U);
  P->items = ceil_div(P->rows, P->sub_rows) * P->cpr;
  /* equal waves: every block gets the same number of items, +-1 */
  const int64_t waves = ceil_div(P->items, max_blocks);
  int64_t blocks = ceil_div(P->items, waves);
  if (blocks > INT32_MAX) blocks = INT32_MAX;
  P->grid_q = blocks / P->cpr;
  P->grid_r = blocks % P->cpr;
  return (unsigned)blocks;
}

ActParams act_params(const glk_ukernel_params *p) {
  ActParams a;
  a.alpha = p->alpha;
  a.limit = p->limit;
  a.alpha_hi = (float)p->alpha;
  a.alpha_lo = __builtin_isfinite(a.alpha_hi) ? (float)(p->alpha - (double)a.alpha_hi) : 0.0f;
  a.lim_f = (float)p->limit;
  float c = (float)p->limit;
  if ((double)c > p->limit) c = nextafterf(c, -INFINITY);
  a.lim_cmp_f = c;
  return a;
}

}  // namespace

extern "C" int glk__cuda_usable(void) {
  pthread_once(&g_once, init_devices);
  return g_devices > 0;
}

extern "C" glk_status glk__cuda_run(const glk_walk *w, int backward,
                                    glk_dtype dtype, glk_act act,
                                    const glk_ukernel_params *params,
                                    void *stream) {
  pthread_once(&g_once, init_devices);
  if (g_devices <= 0) {
    if (g_init_error != cudaSuccess) return cuda_fail(g_init_error, "cudaGetDeviceCount");
    return glk__fail(GLK_ERR_UNSUPPORTED, "CUDA: no CUDA device is present");
  }
  int dev = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return cuda_fail(e, "cudaGetDevice");
  }
  DeviceInfo info;
  if (dev >= 0 && dev < kMaxDevices && dev < g_devices) info = g_info[dev];
  else query(dev, &info);

  /* Element alignment: a misaligned element would fault on the device. */
  for (int op = 0; op < w->nops; op++)
    if ((uintptr_t)w->base[op] % w->esize != 0)
      return glk__fail(GLK_ERR_INVALID_ARGUMENT,
                       "CUDA: operand %d at %p is not aligned to its %zu-byte "
                       "elements",
                       op, (void *)w->base[op], w->esize);

  Plan P;
  memset(&P, 0, sizeof P);
  P.accumulate = params->accumulate != 0;
  P.ap = act_params(params);
  int mode = plan_operands(w, backward, &P);
  const int vec = vec_of(dtype);
  const bool vector = vector_ok(w, &P, mode, backward, vec);
  if (!vector) {
    /* the generic mode reads every operand through its own strides */
    mode = MODE_GENERIC;
    for (int op = 0; op < w->nops; op++) P.base[op] = w->base[op];
    P.gate_first = 0;
    P.units = P.n;
  } else {
    P.units = P.n / vec;
  }
  const unsigned blocks = plan_geometry(&P, vector, info);

  static const Launcher launchers[GLK_DTYPE_COUNT] = {
      /* [GLK_DTYPE_F32] */ launch_f32,
      /* [GLK_DTYPE_F64] */ launch_f64,
      /* [GLK_DTYPE_F16] */ launch_f16,
      /* [GLK_DTYPE_BF16] */ launch_bf16,
  };
  e = (cudaError_t)launchers[dtype](P, (int)act, backward, mode, blocks, stream);
  if (e != cudaSuccess) return cuda_fail(e, "kernel launch");
  return GLK_OK;
}

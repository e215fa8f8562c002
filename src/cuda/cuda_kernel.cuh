/*
 * Internal: the kernels, one template over (dtype, activation, direction,
 * mode), and the per-dtype launcher that picks an instance. See
 * cuda_plan.cuh for the work decomposition.
 */
#ifndef GLK_CUDA_KERNEL_CUH
#define GLK_CUDA_KERNEL_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#include "cuda/cuda_elem.cuh"
#include "cuda/cuda_plan.cuh"

namespace glkc {

/* Element offsets of the operands at the start of `row`. */
template <int NOPS>
__device__ __forceinline__ void row_offsets(const Plan &P, int64_t row,
                                            int64_t off[NOPS]) {
#pragma unroll
  for (int op = 0; op < NOPS; op++) off[op] = 0;
  if (P.outer_rank == 1) {
#pragma unroll
    for (int op = 0; op < NOPS; op++) off[op] = row * P.outer_stride[op][0];
    return;
  }
  for (int d = P.outer_rank - 1; d >= 0; d--) {
    const int64_t e = P.outer_shape[d];
    const int64_t q = row / e;
    const int64_t i = row - q * e;
    row = q;
#pragma unroll
    for (int op = 0; op < NOPS; op++) off[op] += i * P.outer_stride[op][d];
  }
}

template <class T> union Vec16 {
  uint4 u;
  T e[16 / sizeof(T)];
};

/* Inputs of the forward are never written by the call: read-only cache. */
__device__ __forceinline__ uint4 ld16_ro(const void *p) {
  return __ldg(reinterpret_cast<const uint4 *>(p));
}
/* The backward may run in place: plain loads. */
__device__ __forceinline__ uint4 ld16(const void *p) {
  return *reinterpret_cast<const uint4 *>(p);
}
__device__ __forceinline__ void st16(void *p, uint4 v) {
  *reinterpret_cast<uint4 *>(p) = v;
}

/* Member m (0 or 1) of pair j, from the 2*VEC elements in a then b. */
template <int V, class T>
__device__ __forceinline__ T pair_member(const Vec16<T> &a, const Vec16<T> &b,
                                         int j, int m) {
  const int i = 2 * j + m;
  return i < V ? a.e[i] : b.e[i - V];
}
template <int V, class T>
__device__ __forceinline__ void set_pair_member(Vec16<T> &a, Vec16<T> &b,
                                                int j, int m, T x) {
  const int i = 2 * j + m;
  if (i < V) a.e[i] = x;
  else b.e[i - V] = x;
}

/* Vector modes: `unroll` units of VEC outputs per lane, loads first. */
template <int DT, int ACT, int BWD, int MODE>
__device__ __forceinline__ void run_vector(const Plan &P, const int64_t *off,
                                           int64_t u0, int64_t L) {
  typedef Dt<DT> D;
  typedef typename D::T T;
  typedef Elem<DT, ACT> E;
  constexpr int V = D::VEC;
  constexpr int U = 2; /* most units a lane holds at once in vector modes */
  const bool gf = P.gate_first != 0;
  bool ok[U];
#pragma unroll
  for (int k = 0; k < U; k++) ok[k] = k < P.unroll && u0 + k * L < P.units;

  if (!BWD) {
    const T *a_p = reinterpret_cast<const T *>(P.base[OP_V]) + off[OP_V];
    const T *b_p = reinterpret_cast<const T *>(P.base[OP_G]) + off[OP_G];
    T *y_p = reinterpret_cast<T *>(P.base[OP_Y]) + off[OP_Y];
    Vec16<T> a[U], b[U];
#pragma unroll
    for (int k = 0; k < U; k++) {
      if (!ok[k]) continue;
      const int64_t u = u0 + k * L;
      if (MODE == MODE_PLANAR) {
        a[k].u = ld16_ro(a_p + u * V);
        b[k].u = ld16_ro(b_p + u * V);
      } else { /* pairs: base[OP_V] is the first member's */
        a[k].u = ld16_ro(a_p + 2 * u * V);
        b[k].u = ld16_ro(a_p + 2 * u * V + V);
      }
    }
#pragma unroll
    for (int k = 0; k < U; k++) {
      if (!ok[k]) continue;
      const int64_t u = u0 + k * L;
      Vec16<T> y;
#pragma unroll
      for (int j = 0; j < V; j++) {
        T v, g;
        if (MODE == MODE_PLANAR) {
          v = a[k].e[j];
          g = b[k].e[j];
        } else {
          const T m0 = pair_member<V>(a[k], b[k], j, 0);
          const T m1 = pair_member<V>(a[k], b[k], j, 1);
          v = gf ? m1 : m0;
          g = gf ? m0 : m1;
        }
        y.e[j] = E::fwd(v, g, P.ap);
      }
      st16(y_p + u * V, y.u);
    }
    return;
  }

  /* backward */
  const bool acc = P.accumulate != 0;
  const T *a_p = reinterpret_cast<const T *>(P.base[OP_V]) + off[OP_V];
  const T *b_p = reinterpret_cast<const T *>(P.base[OP_G]) + off[OP_G];
  const T *dy_p = reinterpret_cast<const T *>(P.base[OP_DY]) + off[OP_DY];
  T *da_p = reinterpret_cast<T *>(P.base[OP_DV]) + off[OP_DV];
  T *db_p = reinterpret_cast<T *>(P.base[OP_DG]) + off[OP_DG];
  Vec16<T> a[U], b[U], dy[U], da[U], db[U];
#pragma unroll
  for (int k = 0; k < U; k++) {
    if (!ok[k]) continue;
    const int64_t u = u0 + k * L;
    dy[k].u = ld16(dy_p + u * V);
    if (MODE == MODE_PLANAR) {
      a[k].u = ld16(a_p + u * V);
      b[k].u = ld16(b_p + u * V);
      if (acc) {
        da[k].u = ld16(da_p + u * V);
        db[k].u = ld16(db_p + u * V);
      }
    } else { /* pairs: base[OP_V] and base[OP_DV] are the first members' */
      a[k].u = ld16(a_p + 2 * u * V);
      b[k].u = ld16(a_p + 2 * u * V + V);
      if (acc) {
        da[k].u = ld16(da_p + 2 * u * V);
        db[k].u = ld16(da_p + 2 * u * V + V);
      }
    }
  }
#pragma unroll
  for (int k = 0; k < U; k++) {
    if (!ok[k]) continue;
    const int64_t u = u0 + k * L;
#pragma unroll
    for (int j = 0; j < V; j++) {
      if (MODE == MODE_PLANAR) {
        T dv = da[k].e[j], dg = db[k].e[j];
        E::bwd(a[k].e[j], b[k].e[j], dy[k].e[j], dv, dg, acc, P.ap);
        da[k].e[j] = dv;
        db[k].e[j] = dg;
      } else {
        /* constant indices (registers), the gate chosen by value */
        const T x0 = pair_member<V>(a[k], b[k], j, 0);
        const T x1 = pair_member<V>(a[k], b[k], j, 1);
        const T d0 = pair_member<V>(da[k], db[k], j, 0);
        const T d1 = pair_member<V>(da[k], db[k], j, 1);
        T dv = gf ? d1 : d0, dg = gf ? d0 : d1;
        E::bwd(gf ? x1 : x0, gf ? x0 : x1, dy[k].e[j], dv, dg, acc, P.ap);
        set_pair_member<V>(da[k], db[k], j, 0, gf ? dg : dv);
        set_pair_member<V>(da[k], db[k], j, 1, gf ? dv : dg);
      }
    }
    if (MODE == MODE_PLANAR) {
      st16(da_p + u * V, da[k].u);
      st16(db_p + u * V, db[k].u);
    } else {
      st16(da_p + 2 * u * V, da[k].u);
      st16(da_p + 2 * u * V + V, db[k].u);
    }
  }
}

/* Generic mode: `unroll` elements per lane, any strides, loads first. */
template <int DT, int ACT, int BWD>
__device__ __forceinline__ void run_generic(const Plan &P, const int64_t *off,
                                            int64_t u0, int64_t L) {
  typedef Dt<DT> D;
  typedef typename D::T T;
  typedef Elem<DT, ACT> E;
  constexpr int U = kMaxUnroll;
  const T *v_p = reinterpret_cast<const T *>(P.base[OP_V]) + off[OP_V];
  const T *g_p = reinterpret_cast<const T *>(P.base[OP_G]) + off[OP_G];
  const int64_t sv = P.inner_stride[OP_V], sg = P.inner_stride[OP_G];
  bool ok[U];
#pragma unroll
  for (int k = 0; k < U; k++) ok[k] = k < P.unroll && u0 + k * L < P.n;
  T v[U], g[U];
  if (!BWD) {
    T *y_p = reinterpret_cast<T *>(P.base[OP_Y]) + off[OP_Y];
    const int64_t sy = P.inner_stride[OP_Y];
#pragma unroll
    for (int k = 0; k < U; k++) {
      if (!ok[k]) continue;
      const int64_t j = u0 + k * L;
      v[k] = v_p[j * sv];
      g[k] = g_p[j * sg];
    }
#pragma unroll
    for (int k = 0; k < U; k++) {
      if (!ok[k]) continue;
      const int64_t j = u0 + k * L;
      y_p[j * sy] = E::fwd(v[k], g[k], P.ap);
    }
    return;
  }
  const bool acc = P.accumulate != 0;
  const T *dy_p = reinterpret_cast<const T *>(P.base[OP_DY]) + off[OP_DY];
  T *dv_p = reinterpret_cast<T *>(P.base[OP_DV]) + off[OP_DV];
  T *dg_p = reinterpret_cast<T *>(P.base[OP_DG]) + off[OP_DG];
  const int64_t sdy = P.inner_stride[OP_DY], sdv = P.inner_stride[OP_DV],
                sdg = P.inner_stride[OP_DG];
  T dy[U], dv[U], dg[U];
#pragma unroll
  for (int k = 0; k < U; k++) {
    if (!ok[k]) continue;
    const int64_t j = u0 + k * L;
    v[k] = v_p[j * sv];
    g[k] = g_p[j * sg];
    dy[k] = dy_p[j * sdy];
    if (acc) {
      dv[k] = dv_p[j * sdv];
      dg[k] = dg_p[j * sdg];
    }
  }
#pragma unroll
  for (int k = 0; k < U; k++) {
    if (!ok[k]) continue;
    const int64_t j = u0 + k * L;
    E::bwd(v[k], g[k], dy[k], dv[k], dg[k], acc, P.ap);
    dv_p[j * sdv] = dv[k];
    dg_p[j * sdg] = dg[k];
  }
}

template <int DT, int ACT, int BWD, int MODE>
__global__ void __launch_bounds__(kThreads)
    glu_kernel(const __grid_constant__ Plan P) {
  constexpr int NOPS = BWD ? 5 : 3;
  const int64_t L = int64_t(1) << P.lane_shift;
  const int64_t lane = threadIdx.x & (L - 1);
  const int64_t sub = threadIdx.x >> P.lane_shift;
  /* item it = rg * cpr + ch, advanced by gridDim.x without dividing */
  int64_t rg = blockIdx.x / P.cpr;
  int64_t ch = blockIdx.x - rg * P.cpr;
  for (int64_t it = blockIdx.x; it < P.items; it += gridDim.x) {
    const int64_t row = rg * P.sub_rows + sub;
    if (row < P.rows) {
      int64_t off[NOPS];
      row_offsets<NOPS>(P, row, off);
      const int64_t u0 = ch * L * P.unroll + lane;
      if (MODE == MODE_GENERIC)
        run_generic<DT, ACT, BWD>(P, off, u0, L);
      else
        run_vector<DT, ACT, BWD, MODE>(P, off, u0, L);
    }
    ch += P.grid_r;
    rg += P.grid_q;
    if (ch >= P.cpr) {
      ch -= P.cpr;
      rg++;
    }
  }
}

template <int DT, int ACT>
cudaError_t launch_act(const Plan &plan, int backward, int mode,
                       unsigned blocks, cudaStream_t s) {
  const dim3 grid(blocks), block(kThreads);
  if (!backward) {
    if (mode == MODE_PLANAR) glu_kernel<DT, ACT, 0, MODE_PLANAR><<<grid, block, 0, s>>>(plan);
    else if (mode == MODE_PAIRS) glu_kernel<DT, ACT, 0, MODE_PAIRS><<<grid, block, 0, s>>>(plan);
    else glu_kernel<DT, ACT, 0, MODE_GENERIC><<<grid, block, 0, s>>>(plan);
  } else {
    if (mode == MODE_PLANAR) glu_kernel<DT, ACT, 1, MODE_PLANAR><<<grid, block, 0, s>>>(plan);
    else if (mode == MODE_PAIRS) glu_kernel<DT, ACT, 1, MODE_PAIRS><<<grid, block, 0, s>>>(plan);
    else glu_kernel<DT, ACT, 1, MODE_GENERIC><<<grid, block, 0, s>>>(plan);
  }
  return cudaGetLastError();
}

template <int DT>
int launch_dtype(const Plan &plan, int act, int backward, int mode,
                 unsigned blocks, void *stream) {
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  switch (act) {
    case GLK_ACT_GLU: return launch_act<DT, GLK_ACT_GLU>(plan, backward, mode, blocks, s);
    case GLK_ACT_SWIGLU: return launch_act<DT, GLK_ACT_SWIGLU>(plan, backward, mode, blocks, s);
    case GLK_ACT_GEGLU: return launch_act<DT, GLK_ACT_GEGLU>(plan, backward, mode, blocks, s);
    case GLK_ACT_GEGLU_TANH:
      return launch_act<DT, GLK_ACT_GEGLU_TANH>(plan, backward, mode, blocks, s);
    case GLK_ACT_GEGLU_QUICK:
      return launch_act<DT, GLK_ACT_GEGLU_QUICK>(plan, backward, mode, blocks, s);
    case GLK_ACT_REGLU: return launch_act<DT, GLK_ACT_REGLU>(plan, backward, mode, blocks, s);
    case GLK_ACT_BILINEAR:
      return launch_act<DT, GLK_ACT_BILINEAR>(plan, backward, mode, blocks, s);
    case GLK_ACT_SWIGLU_OAI:
      return launch_act<DT, GLK_ACT_SWIGLU_OAI>(plan, backward, mode, blocks, s);
  }
  return cudaErrorInvalidValue;
}

}  // namespace glkc

#endif

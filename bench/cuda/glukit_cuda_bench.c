/*
 * glukit CUDA benchmark: achieved bandwidth of the GLU kernels on the last
 * axis, and its ratio to a device-to-device cudaMemcpy moving the same
 * number of bytes, measured in the same run.
 *
 *   glukit_cuda_bench [--shape RxC]... [--acts glu,swiglu,geglu]
 *                     [--dtypes bf16,f16,f32] [--layouts halves,interleaved]
 *                     [--dirs fwd,bwd] [--reps N] [--warmup N] [--json FILE]
 *
 * RxC is X's shape (Y is R x C/2); default 8192x28672 and 4096x512.
 * Timing: CUDA events around batches of launches on one stream (a batch
 * lasts at least ~0.5 ms, so launch gaps do not count for small shapes),
 * the median of `reps` batches after `warmup` untimed ones. Inputs are
 * fresh random numbers (magnitudes 1/16 .. 8, random signs, never zero).
 * Traffic: forward reads X and writes Y; backward reads X and dY and
 * writes dX. The copy moves the same bytes (traffic/2 read, traffic/2
 * written).
 */
#include <cuda_runtime_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glukit.h"

#define CK(call)                                                              \
  do {                                                                        \
    cudaError_t e_ = (call);                                                  \
    if (e_ != cudaSuccess) {                                                  \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call,           \
              cudaGetErrorString(e_));                                        \
      exit(1);                                                                \
    }                                                                         \
  } while (0)

typedef struct shape { int64_t rows, cols; } shape;

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint64_t next64(void) { /* xorshift64* */
  g_rng ^= g_rng >> 12;
  g_rng ^= g_rng << 25;
  g_rng ^= g_rng >> 27;
  return g_rng * 0x2545f4914f6cdd1dull;
}

/* n random elements of dtype dt, |x| in [1/16, 8), random sign. */
static void fill_random(void *p, glk_dtype dt, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const uint64_t r = next64();
    const uint32_t sign = (uint32_t)(r >> 63), e = (uint32_t)((r >> 56) % 7);
    switch (dt) {
      case GLK_DTYPE_F32: {
        uint32_t b = sign << 31 | (123 + e) << 23 | (uint32_t)(r & 0x7fffff);
        memcpy((char *)p + 4 * i, &b, 4);
        break;
      }
      case GLK_DTYPE_F64: {
        uint64_t b = (uint64_t)sign << 63 | (uint64_t)(1019 + e) << 52 | (r & 0xfffffffffffffull);
        memcpy((char *)p + 8 * i, &b, 8);
        break;
      }
      case GLK_DTYPE_F16: {
        uint16_t b = (uint16_t)(sign << 15 | (11 + e) << 10 | (uint32_t)(r & 0x3ff));
        memcpy((char *)p + 2 * i, &b, 2);
        break;
      }
      case GLK_DTYPE_BF16: {
        uint16_t b = (uint16_t)(sign << 15 | (123 + e) << 7 | (uint32_t)(r & 0x7f));
        memcpy((char *)p + 2 * i, &b, 2);
        break;
      }
    }
  }
}

static int cmp_float(const void *a, const void *b) {
  const float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

/* Median milliseconds per launch of `what` (0: glukit call, 1: copy). */
typedef struct job {
  int kind;
  const glk_tensor *x, *y, *dy, *dx;
  int backward;
  const glk_options *opt;
  void *dst;
  const void *src;
  size_t copy_bytes;
  cudaStream_t stream;
} job;

static void launch(const job *j) {
  if (j->kind == 1) {
    CK(cudaMemcpyAsync(j->dst, j->src, j->copy_bytes, cudaMemcpyDeviceToDevice, j->stream));
    return;
  }
  glk_status st = j->backward ? glk_backward(j->x, j->dy, j->dx, j->opt)
                              : glk_forward(j->x, j->y, j->opt);
  if (st != GLK_OK) {
    fprintf(stderr, "glukit call failed: %s: %s\n", glk_status_string(st), glk_last_error());
    exit(1);
  }
}

static double time_ms(const job *j, int reps, int warmup) {
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  /* batch size: enough launches for ~0.5 ms */
  int batch = 1;
  for (;;) {
    CK(cudaEventRecord(a, j->stream));
    for (int i = 0; i < batch; i++) launch(j);
    CK(cudaEventRecord(b, j->stream));
    CK(cudaEventSynchronize(b));
    float ms;
    CK(cudaEventElapsedTime(&ms, a, b));
    if (ms >= 0.5f || batch >= 4096) break;
    batch *= 2;
  }
  for (int w = 0; w < warmup; w++)
    for (int i = 0; i < batch; i++) launch(j);
  float *t = malloc(sizeof(float) * (size_t)reps);
  for (int r = 0; r < reps; r++) {
    CK(cudaEventRecord(a, j->stream));
    for (int i = 0; i < batch; i++) launch(j);
    CK(cudaEventRecord(b, j->stream));
    CK(cudaEventSynchronize(b));
    CK(cudaEventElapsedTime(&t[r], a, b));
    t[r] /= (float)batch;
  }
  qsort(t, (size_t)reps, sizeof(float), cmp_float);
  const double med = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
  free(t);
  CK(cudaEventDestroy(a));
  CK(cudaEventDestroy(b));
  return med;
}

/* comma-separated names -> list of values via a lookup */
static int parse_list(const char *s, const char *const *names, int count, int *out) {
  int n = 0;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s);
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    int found = -1;
    for (int i = 0; i < count; i++)
      if (names[i] && strcmp(tok, names[i]) == 0) found = i;
    if (found < 0) {
      fprintf(stderr, "unknown name '%s'\n", tok);
      exit(2);
    }
    out[n++] = found;
  }
  return n;
}

int main(int argc, char **argv) {
  shape shapes[16];
  int nshapes = 0;
  const char *act_names[GLK_ACT_COUNT], *dt_names[GLK_DTYPE_COUNT];
  for (int i = 0; i < GLK_ACT_COUNT; i++) act_names[i] = glk_act_name((glk_act)i);
  for (int i = 0; i < GLK_DTYPE_COUNT; i++) dt_names[i] = glk_dtype_name((glk_dtype)i);
  static const char *const layout_names[] = {"halves", "interleaved"};
  static const char *const dir_names[] = {"fwd", "bwd"};
  int acts[GLK_ACT_COUNT], nacts = parse_list("glu,swiglu,geglu", act_names, GLK_ACT_COUNT, acts);
  int dts[GLK_DTYPE_COUNT], ndts = parse_list("bf16,f16,f32", dt_names, GLK_DTYPE_COUNT, dts);
  int layouts[2], nlayouts = parse_list("halves,interleaved", layout_names, 2, layouts);
  int dirs[2], ndirs = parse_list("fwd,bwd", dir_names, 2, dirs);
  int reps = 15, warmup = 3;
  const char *json = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--shape") && v) {
      long long r, c;
      if (sscanf(v, "%lldx%lld", &r, &c) != 2 || r <= 0 || c <= 0 || c % 2 || nshapes == 16) {
        fprintf(stderr, "--shape wants ROWSxCOLS with even COLS\n");
        return 2;
      }
      shapes[nshapes++] = (shape){r, c};
      i++;
    } else if (!strcmp(a, "--acts") && v) nacts = parse_list(v, act_names, GLK_ACT_COUNT, acts), i++;
    else if (!strcmp(a, "--dtypes") && v) ndts = parse_list(v, dt_names, GLK_DTYPE_COUNT, dts), i++;
    else if (!strcmp(a, "--layouts") && v) nlayouts = parse_list(v, layout_names, 2, layouts), i++;
    else if (!strcmp(a, "--dirs") && v) ndirs = parse_list(v, dir_names, 2, dirs), i++;
    else if (!strcmp(a, "--reps") && v) reps = atoi(v), i++;
    else if (!strcmp(a, "--warmup") && v) warmup = atoi(v), i++;
    else if (!strcmp(a, "--json") && v) json = v, i++;
    else {
      fprintf(stderr, "usage: %s [--shape RxC]... [--acts a,b] [--dtypes a,b] "
              "[--layouts halves,interleaved] [--dirs fwd,bwd] [--reps N] "
              "[--warmup N] [--json FILE]\n", argv[0]);
      return 2;
    }
  }
  if (reps < 1) reps = 1;
  if (nshapes == 0) {
    shapes[nshapes++] = (shape){8192, 28672};
    shapes[nshapes++] = (shape){4096, 512};
  }
  if (!glk_cuda_available()) {
    fprintf(stderr, "glukit_cuda_bench: no usable CUDA device (or glukit built without CUDA)\n");
    return 77;
  }
  struct cudaDeviceProp prop;
  int dev = 0;
  CK(cudaGetDevice(&dev));
  CK(cudaGetDeviceProperties(&prop, dev));
  cudaStream_t stream;
  CK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));

  FILE *jf = NULL;
  if (json) {
    jf = fopen(json, "w");
    if (!jf) {
      perror(json);
      return 1;
    }
    fprintf(jf, "{\"device\": \"%s\", \"glukit\": \"%s\", \"reps\": %d, \"results\": [",
            prop.name, glk_version_string(), reps);
  }
  printf("# glukit CUDA bench on %s (%d SMs), median of %d\n\n", prop.name,
         prop.multiProcessorCount, reps);
  printf("| shape | dtype | act | layout | dir | us | TB/s | copy TB/s | %% of copy |\n");
  printf("|---|---|---|---|---|---|---|---|---|\n");
  int first = 1;
  for (int si = 0; si < nshapes; si++) {
    const int64_t R = shapes[si].rows, C = shapes[si].cols, H = C / 2;
    for (int di = 0; di < ndts; di++) {
      const glk_dtype dt = (glk_dtype)dts[di];
      const size_t es = glk_dtype_size(dt);
      const size_t xb = (size_t)(R * C) * es, yb = (size_t)(R * H) * es;
      void *hx = malloc(xb), *hdy = malloc(yb);
      if (!hx || !hdy) {
        fprintf(stderr, "out of host memory\n");
        return 1;
      }
      fill_random(hx, dt, (size_t)(R * C));
      fill_random(hdy, dt, (size_t)(R * H));
      void *dx_in, *dy_out, *ddy, *ddx;
      CK(cudaMalloc(&dx_in, xb));
      CK(cudaMalloc(&dy_out, yb));
      CK(cudaMalloc(&ddy, yb));
      CK(cudaMalloc(&ddx, xb));
      CK(cudaMemcpy(dx_in, hx, xb, cudaMemcpyHostToDevice));
      CK(cudaMemcpy(ddy, hdy, yb, cudaMemcpyHostToDevice));
      free(hx);
      free(hdy);
      int64_t xs[2] = {R, C}, ys[2] = {R, H};
      glk_tensor tx, ty, tdy, tdx;
      glk_tensor_init(&tx, dx_in, dt, 2, xs, NULL);
      glk_tensor_init(&ty, dy_out, dt, 2, ys, NULL);
      glk_tensor_init(&tdy, ddy, dt, 2, ys, NULL);
      glk_tensor_init(&tdx, ddx, dt, 2, xs, NULL);
      for (int dir = 0; dir < ndirs; dir++) {
        const int backward = dirs[dir];
        const size_t traffic = backward ? 2 * xb + yb : xb + yb;
        /* the copy moves the same bytes: traffic/2 read, traffic/2
         * written; X -> dX covers the forward's 0.75 |X|, the backward's
         * 1.25 |X| goes between the halves of a scratch buffer */
        const size_t half = traffic / 2;
        job cp = {1, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, half, stream};
        void *scratch = NULL;
        if (half <= xb) {
          cp.dst = ddx;
          cp.src = dx_in;
        } else {
          CK(cudaMalloc(&scratch, 2 * half));
          cp.dst = scratch;
          cp.src = (char *)scratch + half;
        }
        const double copy_ms = time_ms(&cp, reps, warmup);
        if (scratch) CK(cudaFree(scratch));
        const double copy_tbps = (double)traffic / (copy_ms * 1e-3) / 1e12;
        for (int li = 0; li < nlayouts; li++)
          for (int ai = 0; ai < nacts; ai++) {
            glk_options opt;
            glk_options_init(&opt);
            opt.act = (glk_act)acts[ai];
            opt.layout = (glk_layout)layouts[li];
            opt.device = GLK_DEVICE_CUDA;
            opt.cuda_stream = stream;
            job j = {0, &tx, &ty, &tdy, &tdx, backward, &opt, NULL, NULL, 0, stream};
            const double ms = time_ms(&j, reps, warmup);
            const double tbps = (double)traffic / (ms * 1e-3) / 1e12;
            printf("| %lldx%lld | %s | %s | %s | %s | %.1f | %.3f | %.3f | %.1f%% |\n",
                   (long long)R, (long long)C, glk_dtype_name(dt), glk_act_name(opt.act),
                   layout_names[layouts[li]], dir_names[backward], ms * 1e3, tbps,
                   copy_tbps, 100.0 * tbps / copy_tbps);
            fflush(stdout);
            if (jf) {
              fprintf(jf,
                      "%s\n  {\"rows\": %lld, \"cols\": %lld, \"dtype\": \"%s\", \"act\": "
                      "\"%s\", \"layout\": \"%s\", \"dir\": \"%s\", \"us\": %.3f, "
                      "\"tbps\": %.4f, \"copy_tbps\": %.4f, \"ratio_to_copy\": %.4f, "
                      "\"bytes\": %zu}",
                      first ? "" : ",", (long long)R, (long long)C, glk_dtype_name(dt),
                      glk_act_name(opt.act), layout_names[layouts[li]], dir_names[backward],
                      ms * 1e3, tbps, copy_tbps, tbps / copy_tbps, traffic);
              first = 0;
            }
          }
      }
      CK(cudaFree(dx_in));
      CK(cudaFree(dy_out));
      CK(cudaFree(ddy));
      CK(cudaFree(ddx));
    }
  }
  if (jf) {
    fprintf(jf, "\n]}\n");
    fclose(jf);
  }
  CK(cudaStreamDestroy(stream));
  return 0;
}

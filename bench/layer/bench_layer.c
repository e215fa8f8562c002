/*
 * glukit_bench_layer: the gated feed-forward block Y = (act(XV) * XW) W2,
 * f32, packed [W|V], no biases, on transformer-like shapes: time and peak
 * extra memory of
 *   fused    glk_glu_forward / glk_glu_backward (blocks; the workspace is
 *            all the extra memory),
 *   unfused  the composition: one sgemm to Z = X [W|V] (tokens x 2 hidden),
 *            glk_forward to H, one sgemm to Y (extra: Z and H; the
 *            backward keeps Z and H from the forward, as autograd does),
 * on 1 and 2 BLAS threads; with --torch SCRIPT, PyTorch's composition is
 * timed by that script in the same run.
 *
 *   glukit_bench_layer [--shapes 512x1024x2816,64x256x704] [--threads 1,2]
 *                      [--reps 7] [--act swiglu] [--token-block N]
 *                      [--hidden-block N] [--torch bench/layer/torch_layer_compare.py]
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <glukit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void check(glk_status st, const char *what) {
  if (st == GLK_OK) return;
  fprintf(stderr, "%s: %s: %s\n", what, glk_status_string(st), glk_last_error());
  exit(2);
}

static float *randf(size_t n, float scale) {
  float *p = malloc(n * sizeof *p);
  if (!p) exit(2);
  uint64_t s = 0x9E3779B97F4A7C15ull ^ n;
  for (size_t i = 0; i < n; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    p[i] = scale * (float)((double)(s >> 11) / 4503599627370496.0 - 1);
  }
  return p;
}

typedef struct shape {
  int t, d, h;
} shape;

typedef struct bench {
  shape s;
  glk_options opt;
  float *x, *wu, *w2, *y, *dy, *dx, *gwu, *gw2, *z, *hh, *dh;
  glk_tensor tx, twu, tw2, ty, tdy, tdx, tgwu, tgw2;
  glk_glu_layer layer, grads;
  void *ws;
  size_t ws_fwd, ws_bwd;
} bench;

static void t2(glk_tensor *t, float *p, int64_t r, int64_t c) {
  const int64_t sh[2] = {r, c};
  glk_tensor_init(t, p, GLK_DTYPE_F32, 2, sh, NULL);
}

static void setup(bench *b, shape s, glk_act act, int64_t tb, int64_t nb) {
  const size_t t = (size_t)s.t, d = (size_t)s.d, h = (size_t)s.h;
  memset(b, 0, sizeof *b);
  b->s = s;
  glk_options_init(&b->opt);
  b->opt.act = act;
  b->x = randf(t * d, 1);
  b->wu = randf(d * 2 * h, 1.0f / 32);
  b->w2 = randf(h * d, 1.0f / 32);
  b->dy = randf(t * d, 1);
  b->y = calloc(t * d, 4), b->dx = calloc(t * d, 4);
  b->gwu = calloc(d * 2 * h, 4), b->gw2 = calloc(h * d, 4);
  b->z = calloc(t * 2 * h, 4), b->hh = calloc(t * h, 4), b->dh = calloc(t * h, 4);
  t2(&b->tx, b->x, s.t, s.d), t2(&b->twu, b->wu, s.d, 2 * s.h);
  t2(&b->tw2, b->w2, s.h, s.d), t2(&b->ty, b->y, s.t, s.d);
  t2(&b->tdy, b->dy, s.t, s.d), t2(&b->tdx, b->dx, s.t, s.d);
  t2(&b->tgwu, b->gwu, s.d, 2 * s.h), t2(&b->tgw2, b->gw2, s.h, s.d);
  glk_glu_layer_init(&b->layer);
  b->layer.w_up = &b->twu, b->layer.w_down = &b->tw2;
  b->layer.token_block = tb, b->layer.hidden_block = nb;
  glk_glu_layer_init(&b->grads);
  b->grads.w_up = &b->tgwu, b->grads.w_down = &b->tgw2;
  check(glk_glu_workspace_size(&b->layer, s.t, 0, &b->opt, &b->ws_fwd), "ws");
  check(glk_glu_workspace_size(&b->layer, s.t, 1, &b->opt, &b->ws_bwd), "ws");
  b->ws = malloc(b->ws_bwd > b->ws_fwd ? b->ws_bwd : b->ws_fwd);
}

static void teardown(bench *b) {
  float *all[] = {b->x, b->wu, b->w2, b->y, b->dy, b->dx, b->gwu, b->gw2,
                  b->z, b->hh, b->dh};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
  free(b->ws);
}

static void fused_fwd(bench *b) {
  check(glk_glu_forward(&b->layer, &b->tx, &b->ty, b->ws, b->ws_fwd, &b->opt),
        "fused forward");
}

static void fused_bwd(bench *b) {
  check(glk_glu_backward(&b->layer, &b->tx, &b->tdy, &b->tdx, &b->grads, b->ws,
                         b->ws_bwd, &b->opt), "fused backward");
}

static void unfused_fwd(bench *b) {
  const int t = b->s.t, d = b->s.d, h = b->s.h;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, 2 * h, d, 1, b->x,
              d, b->wu, 2 * h, 0, b->z, 2 * h);
  glk_tensor tz, th;
  t2(&tz, b->z, t, 2 * h), t2(&th, b->hh, t, h);
  check(glk_forward(&tz, &th, &b->opt), "glk_forward");
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, d, h, 1, b->hh, h,
              b->w2, d, 0, b->y, d);
}

/* With Z and H kept from unfused_fwd, as a framework's autograd keeps them. */
static void unfused_bwd(bench *b) {
  const int t = b->s.t, d = b->s.d, h = b->s.h;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h, d, t, 1, b->hh, h,
              b->dy, d, 0, b->gw2, d);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, h, d, 1, b->dy, d,
              b->w2, d, 0, b->dh, h);
  glk_tensor tz, tdh;
  t2(&tz, b->z, t, 2 * h), t2(&tdh, b->dh, t, h);
  check(glk_backward(&tz, &tdh, &tz, &b->opt), "glk_backward");
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, 2 * h, t, 1, b->x, d,
              b->z, 2 * h, 0, b->gwu, 2 * h);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, d, 2 * h, 1, b->z,
              2 * h, b->wu, 2 * h, 0, b->dx, d);
}

/* Median seconds of reps calls after one warm-up. */
static double time_it(void (*f)(bench *), bench *b, int reps) {
  double ts[64];
  if (reps > 64) reps = 64;
  f(b);
  for (int i = 0; i < reps; i++) {
    double t0 = now();
    f(b);
    ts[i] = now() - t0;
  }
  qsort(ts, (size_t)reps, sizeof *ts, cmp_double);
  return ts[reps / 2];
}

int main(int argc, char **argv) {
  const char *shapes = "512x1024x2816,64x256x704", *threads = "1,2";
  const char *torch = NULL;
  int reps = 7;
  int64_t tb = 0, nb = 0;
  glk_act act = GLK_ACT_SWIGLU;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--shapes")) shapes = argv[i + 1];
    else if (!strcmp(argv[i], "--threads")) threads = argv[i + 1];
    else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--token-block")) tb = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--hidden-block")) nb = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--torch")) torch = argv[i + 1];
    else if (!strcmp(argv[i], "--act")) check(glk_act_from_name(argv[i + 1], &act), "--act");
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  printf("glukit %s GLU feed-forward block, f32, %s, d_out = d_in, median of "
         "%d\n", glk_version_string(), glk_act_name(act), reps);
  printf("%-16s %3s %-8s %10s %10s %14s\n", "tokens x d x h", "thr", "impl",
         "fwd ms", "bwd ms", "extra MiB");
  for (const char *sp = shapes; sp && *sp;) {
    shape s;
    if (sscanf(sp, "%dx%dx%d", &s.t, &s.d, &s.h) != 3) {
      fprintf(stderr, "bad shape '%s' (want TxDxH)\n", sp);
      return 2;
    }
    bench b;
    setup(&b, s, act, tb, nb);
    char name[48];
    snprintf(name, sizeof name, "%dx%dx%d", s.t, s.d, s.h);
    for (const char *tp = threads; tp && *tp;) {
      const int n = atoi(tp);
      openblas_set_num_threads(n);
      const double ff = time_it(fused_fwd, &b, reps);
      const double fb = time_it(fused_bwd, &b, reps);
      const double uf = time_it(unfused_fwd, &b, reps);
      const double ub = time_it(unfused_bwd, &b, reps);
      const double mib = 1.0 / (1 << 20);
      const size_t unfused_bytes = (size_t)s.t * 3 * (size_t)s.h * 4;
      printf("%-16s %3d %-8s %10.2f %10.2f %14.3f\n", name, n, "fused",
             ff * 1e3, fb * 1e3,
             (double)(b.ws_bwd > b.ws_fwd ? b.ws_bwd : b.ws_fwd) * mib);
      printf("%-16s %3d %-8s %10.2f %10.2f %14.3f\n", name, n, "unfused",
             uf * 1e3, ub * 1e3, (double)unfused_bytes * mib);
      fflush(stdout);
      tp = strchr(tp, ',');
      tp = tp ? tp + 1 : NULL;
    }
    teardown(&b);
    sp = strchr(sp, ',');
    sp = sp ? sp + 1 : NULL;
  }
  if (torch) { /* PyTorch's composition, same shapes and threads */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 '%s' --shapes '%s' --threads '%s' --reps %d "
             "--act %s", torch, shapes, threads, reps, glk_act_name(act));
    fflush(stdout);
    if (system(cmd) != 0) fprintf(stderr, "(the PyTorch comparison failed)\n");
  }
  return 0;
}

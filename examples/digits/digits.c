/*
 * Trains a small classifier built from glukit's GLU layer on the
 * handwritten digits of scikit-learn (8 x 8 images, 10 classes):
 *
 *     Linear -> GLU -> Linear -> softmax
 *
 * which is exactly one gated feed-forward block, glk_glu_forward with a
 * packed up projection [W|V] (+ bias) and a down projection W2 (+ bias),
 * followed by softmax cross-entropy. AdamW (Adam with decoupled weight
 * decay) on minibatches; the loss curve is printed per epoch.
 *
 *     glukit_digits [--data digits.csv.gz] [--epochs 30] [--hidden 64]
 *                   [--act glu] [--min-accuracy 0.95] [--seed 1]
 *
 * The data is Debian's python3-sklearn copy, read with zlib: 1797 rows of
 * 64 pixel values (0..16) and the label.
 */
#include <glukit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define DIGITS_PATH \
  "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
#define N_PIX 64
#define N_CLASS 10
#define MAX_ROWS 4096

typedef struct data {
  float x[MAX_ROWS][N_PIX];
  int label[MAX_ROWS];
  int n;
} data;

static int load(const char *path, data *d) {
  gzFile f = gzopen(path, "rb");
  if (!f) return -1;
  char line[1024];
  d->n = 0;
  while (d->n < MAX_ROWS && gzgets(f, line, sizeof line)) {
    char *p = line, *end;
    int i;
    for (i = 0; i <= N_PIX; i++, p = end + 1) {
      double v = strtod(p, &end);
      if (end == p) break;
      if (i < N_PIX)
        d->x[d->n][i] = (float)(v / 16.0); /* pixels are 0..16 */
      else
        d->label[d->n] = (int)v;
      if (*end != ',') { i++; break; }
    }
    if (i == N_PIX + 1 && d->label[d->n] >= 0 && d->label[d->n] < N_CLASS)
      d->n++;
  }
  gzclose(f);
  return d->n > 0 ? 0 : -1;
}

static uint64_t rng = 88172645463325252ull;
static double uniform(void) { /* [0, 1) */
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0;
}
static void shuffle(int *a, int n) {
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(uniform() * (i + 1)), t = a[i];
    a[i] = a[j], a[j] = t;
  }
}

/* The network's parameters, contiguous so AdamW runs over one array. */
typedef struct net {
  int hidden, n; /* n: number of parameters */
  float *p, *g, *m, *v;
  glk_tensor w_up, b_up, w_down, b_down;    /* views of p */
  glk_tensor gw_up, gb_up, gw_down, gb_down; /* views of g */
  glk_glu_layer layer, grads;
  int n_decay; /* p[0 .. n_decay) are weights (decayed), the rest biases */
} net;

static void views(float *base, int h, glk_tensor *wu, glk_tensor *bu,
                  glk_tensor *wd, glk_tensor *bd, int *n_decay) {
  const int64_t su[2] = {N_PIX, 2 * h}, sd[2] = {h, N_CLASS};
  const int64_t nb = 2 * h, nc = N_CLASS;
  float *p = base;
  glk_tensor_init(wu, p, GLK_DTYPE_F32, 2, su, NULL), p += N_PIX * 2 * h;
  glk_tensor_init(wd, p, GLK_DTYPE_F32, 2, sd, NULL), p += h * N_CLASS;
  *n_decay = (int)(p - base);
  glk_tensor_init(bu, p, GLK_DTYPE_F32, 1, &nb, NULL), p += 2 * h;
  glk_tensor_init(bd, p, GLK_DTYPE_F32, 1, &nc, NULL);
}

static void net_init(net *nt, int h) {
  nt->hidden = h;
  nt->n = N_PIX * 2 * h + 2 * h + h * N_CLASS + N_CLASS;
  nt->p = calloc((size_t)nt->n, sizeof(float));
  nt->g = calloc((size_t)nt->n, sizeof(float));
  nt->m = calloc((size_t)nt->n, sizeof(float));
  nt->v = calloc((size_t)nt->n, sizeof(float));
  if (!nt->p || !nt->g || !nt->m || !nt->v) exit(2);
  views(nt->p, h, &nt->w_up, &nt->b_up, &nt->w_down, &nt->b_down, &nt->n_decay);
  views(nt->g, h, &nt->gw_up, &nt->gb_up, &nt->gw_down, &nt->gb_down,
        &nt->n_decay);
  /* PyTorch's Linear initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
   * in the order of views(): w_up, w_down, b_up, b_down. */
  float *p = nt->p;
  for (int i = 0; i < N_PIX * 2 * h; i++)
    *p++ = (float)((2 * uniform() - 1) / sqrt(N_PIX));
  for (int i = 0; i < h * N_CLASS; i++)
    *p++ = (float)((2 * uniform() - 1) / sqrt(h));
  for (int i = 0; i < 2 * h; i++) *p++ = (float)((2 * uniform() - 1) / sqrt(N_PIX));
  for (int i = 0; i < N_CLASS; i++) *p++ = (float)((2 * uniform() - 1) / sqrt(h));
  glk_glu_layer_init(&nt->layer);
  nt->layer.w_up = &nt->w_up, nt->layer.b_up = &nt->b_up;
  nt->layer.w_down = &nt->w_down, nt->layer.b_down = &nt->b_down;
  glk_glu_layer_init(&nt->grads);
  nt->grads.w_up = &nt->gw_up, nt->grads.b_up = &nt->gb_up;
  nt->grads.w_down = &nt->gw_down, nt->grads.b_down = &nt->gb_down;
}

/* AdamW step t (from 1): decoupled weight decay on the weights only. */
static void adamw(net *nt, int t, float lr, float wd) {
  const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
  const float c1 = 1 - powf(b1, (float)t), c2 = 1 - powf(b2, (float)t);
  for (int i = 0; i < nt->n; i++) {
    const float g = nt->g[i];
    nt->m[i] = b1 * nt->m[i] + (1 - b1) * g;
    nt->v[i] = b2 * nt->v[i] + (1 - b2) * g * g;
    if (i < nt->n_decay) nt->p[i] -= lr * wd * nt->p[i];
    nt->p[i] -= lr * (nt->m[i] / c1) / (sqrtf(nt->v[i] / c2) + eps);
  }
}

static void check(glk_status st, const char *what) {
  if (st == GLK_OK) return;
  fprintf(stderr, "%s: %s: %s\n", what, glk_status_string(st), glk_last_error());
  exit(2);
}

/* Logits in y (rows x 10) -> loss, and dY = (softmax - onehot) / rows. */
static double softmax_xent(float *y, const int *label, int rows, float *dy,
                           int *correct) {
  double loss = 0;
  for (int r = 0; r < rows; r++) {
    float *z = y + r * N_CLASS, mx = z[0];
    int arg = 0;
    for (int k = 1; k < N_CLASS; k++)
      if (z[k] > mx) mx = z[k], arg = k;
    double sum = 0;
    for (int k = 0; k < N_CLASS; k++) sum += exp(z[k] - mx);
    loss += log(sum) - (z[label[r]] - mx);
    *correct += arg == label[r];
    for (int k = 0; dy && k < N_CLASS; k++)
      dy[r * N_CLASS + k] =
          (float)((exp(z[k] - mx) / sum - (k == label[r])) / rows);
  }
  return loss;
}

int main(int argc, char **argv) {
  const char *path = DIGITS_PATH;
  int epochs = 30, hidden = 64, batch = 32;
  double min_acc = 0;
  glk_options opt;
  glk_options_init(&opt);
  opt.act = GLK_ACT_GLU; /* Dauphin et al.'s sigmoid gate */
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--data")) path = argv[i + 1];
    else if (!strcmp(argv[i], "--epochs")) epochs = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--hidden")) hidden = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--min-accuracy")) min_acc = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--seed")) rng += (uint64_t)atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--act"))
      check(glk_act_from_name(argv[i + 1], &opt.act), "--act");
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  static data d;
  if (load(path, &d)) {
    fprintf(stderr, "cannot read %s (Debian: apt-get install python3-sklearn)\n",
            path);
    return 77; /* skipped, for ctest */
  }
  /* 80 / 20 split after a fixed shuffle. */
  int *order = malloc(sizeof(int) * (size_t)d.n);
  for (int i = 0; i < d.n; i++) order[i] = i;
  shuffle(order, d.n);
  const int n_train = d.n * 4 / 5, n_test = d.n - n_train;
  int *train = order, *test = order + n_train;

  net nt;
  net_init(&nt, hidden);
  size_t wf, wb;
  const int rows_max = n_test > batch ? n_test : batch;
  check(glk_glu_workspace_size(&nt.layer, rows_max, 0, &opt, &wf), "workspace");
  check(glk_glu_workspace_size(&nt.layer, rows_max, 1, &opt, &wb), "workspace");
  const size_t ws_size = wf > wb ? wf : wb;
  void *ws = malloc(ws_size ? ws_size : 1);
  float *xb = malloc(sizeof(float) * N_PIX * (size_t)rows_max);
  float *yb = malloc(sizeof(float) * N_CLASS * (size_t)rows_max);
  float *dyb = malloc(sizeof(float) * N_CLASS * (size_t)rows_max);
  int *lb = malloc(sizeof(int) * (size_t)rows_max);

  double acc = 0;
  int step = 0;
  const clock_t t0 = clock();
  printf("digits: %d train / %d test, hidden %d, %s, AdamW\n", n_train, n_test,
         hidden, glk_act_name(opt.act));
  printf("epoch   train loss   test loss   test accuracy\n");
  for (int e = 1; e <= epochs; e++) {
    shuffle(train, n_train);
    double loss = 0;
    int correct = 0;
    for (int b0 = 0; b0 < n_train; b0 += batch) {
      const int rows = n_train - b0 < batch ? n_train - b0 : batch;
      for (int r = 0; r < rows; r++) {
        memcpy(xb + r * N_PIX, d.x[train[b0 + r]], sizeof(float) * N_PIX);
        lb[r] = d.label[train[b0 + r]];
      }
      const int64_t sx[2] = {rows, N_PIX}, sy[2] = {rows, N_CLASS};
      glk_tensor tx, ty, tdy;
      glk_tensor_init(&tx, xb, GLK_DTYPE_F32, 2, sx, NULL);
      glk_tensor_init(&ty, yb, GLK_DTYPE_F32, 2, sy, NULL);
      glk_tensor_init(&tdy, dyb, GLK_DTYPE_F32, 2, sy, NULL);
      check(glk_glu_forward(&nt.layer, &tx, &ty, ws, ws_size, &opt), "forward");
      loss += softmax_xent(yb, lb, rows, dyb, &correct);
      /* dx NULL: the input needs no gradient */
      check(glk_glu_backward(&nt.layer, &tx, &tdy, NULL, &nt.grads, ws, ws_size,
                             &opt), "backward");
      adamw(&nt, ++step, 3e-3f, 1e-4f);
    }
    /* the test set, in one forward */
    for (int r = 0; r < n_test; r++) {
      memcpy(xb + r * N_PIX, d.x[test[r]], sizeof(float) * N_PIX);
      lb[r] = d.label[test[r]];
    }
    const int64_t sx[2] = {n_test, N_PIX}, sy[2] = {n_test, N_CLASS};
    glk_tensor tx, ty;
    glk_tensor_init(&tx, xb, GLK_DTYPE_F32, 2, sx, NULL);
    glk_tensor_init(&ty, yb, GLK_DTYPE_F32, 2, sy, NULL);
    check(glk_glu_forward(&nt.layer, &tx, &ty, ws, ws_size, &opt), "forward");
    int test_correct = 0;
    const double test_loss = softmax_xent(yb, lb, n_test, NULL, &test_correct);
    acc = (double)test_correct / n_test;
    printf("%5d   %10.4f   %9.4f   %6.2f%% (%d/%d)\n", e, loss / n_train,
           test_loss / n_test, 100 * acc, test_correct, n_test);
  }
  printf("trained in %.2f s of CPU; test accuracy %.2f%%\n",
         (double)(clock() - t0) / CLOCKS_PER_SEC, 100 * acc);
  free(order), free(ws), free(xb), free(yb), free(dyb), free(lb);
  free(nt.p), free(nt.g), free(nt.m), free(nt.v);
  if (acc < min_acc) {
    fprintf(stderr, "test accuracy %.4f is below --min-accuracy %.4f\n", acc,
            min_acc);
    return 1;
  }
  return 0;
}

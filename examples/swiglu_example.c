/*
 * glukit example: SwiGLU forward and backward on a small f32 tensor.
 *
 * X has shape [2, 8]. Split along the last axis (the default), each row
 * gives a value half V = X[:, 0:4] and a gate half G = X[:, 4:8], and
 *     Y = V * silu(G) = V * G * sigmoid(G),   shape [2, 4].
 *
 * The program checks its own results against the formula evaluated in
 * double, so it doubles as a test: it exits non-zero on any mismatch.
 *
 * Build against an installed glukit:
 *     cc swiglu_example.c $(pkg-config --cflags --libs glukit) -lm
 * (-lm is for this file's own exp(); glukit itself needs nothing extra.)
 */
#include <glukit.h>

#include <math.h>
#include <stdio.h>

#define ROWS 2
#define COLS 8        /* split axis: COLS / 2 values, COLS / 2 gates */
#define HALF (COLS / 2)

/* Print the reason a call failed; returns nonzero on failure. */
static int failed(glk_status status, const char *call) {
  if (status == GLK_OK) return 0;
  fprintf(stderr, "%s failed: %s: %s\n", call, glk_status_string(status),
          glk_last_error());
  return 1;
}

/* Relative tolerance 1e-6 (f32 results are far more accurate than that). */
static int close_to(float got, double want) {
  return fabs((double)got - want) <= 1e-6 * fabs(want);
}

static double sigmoid(double g) { return 1.0 / (1.0 + exp(-g)); }

int main(void) {
  printf("glukit %s (header %s)\n", glk_version_string(), GLK_VERSION_STRING);

  /* Row-major [2, 8]: in each row, 4 values then 4 gates. */
  float x[ROWS][COLS] = {
      {1.0f, -2.0f, 0.5f, 3.0f, /* gates: */ 0.5f, -2.0f, 1.5f, -0.25f},
      {-1.5f, 4.0f, 2.0f, -0.5f, /* gates: */ 2.5f, -3.0f, 1.0f, 0.25f},
  };
  float y[ROWS][HALF];

  /* 1. Shape inference: ask for Y's shape before allocating anything. */
  const int64_t x_shape[2] = {ROWS, COLS};
  int64_t y_shape[2];
  if (failed(glk_output_shape(2, x_shape, -1, y_shape), "glk_output_shape"))
    return 1;
  if (y_shape[0] != ROWS || y_shape[1] != HALF) {
    fprintf(stderr, "unexpected Y shape [%lld, %lld]\n",
            (long long)y_shape[0], (long long)y_shape[1]);
    return 1;
  }

  /* 2. Describe the buffers. NULL strides mean contiguous (row-major). */
  glk_tensor tx, ty;
  if (failed(glk_tensor_init(&tx, x, GLK_DTYPE_F32, 2, x_shape, NULL),
             "glk_tensor_init(x)") ||
      failed(glk_tensor_init(&ty, y, GLK_DTYPE_F32, 2, y_shape, NULL),
             "glk_tensor_init(y)"))
    return 1;

  /* 3. Options: always start from glk_options_init (it sets struct_size
   *    and the defaults: dim -1, halves layout, gate is the second half). */
  glk_options opt;
  glk_options_init(&opt);
  opt.act = GLK_ACT_SWIGLU;

  /* 4. Forward. */
  if (failed(glk_forward(&tx, &ty, &opt), "glk_forward")) return 1;

  int bad = 0;
  printf("Y = %s(X), shape [%lld, %lld]:\n", glk_act_name(opt.act),
         (long long)y_shape[0], (long long)y_shape[1]);
  for (int r = 0; r < ROWS; r++) {
    for (int c = 0; c < HALF; c++) {
      double v = x[r][c], g = x[r][HALF + c];
      double want = v * g * sigmoid(g); /* = v*g/(1+exp(-g)) */
      printf(" %12.7f", y[r][c]);
      if (!close_to(y[r][c], want)) {
        fprintf(stderr, "mismatch: Y[%d][%d] = %.9g, expected %.9g\n", r, c,
                y[r][c], want);
        bad = 1;
      }
    }
    printf("\n");
  }

  /* 5. Backward with dY = 1, i.e. dX is the gradient of sum(Y):
   *      dV = silu(G),  dG = V * sigmoid(G) * (1 + G * (1 - sigmoid(G))). */
  float dy[ROWS][HALF], dx[ROWS][COLS];
  for (int r = 0; r < ROWS; r++)
    for (int c = 0; c < HALF; c++) dy[r][c] = 1.0f;
  glk_tensor tdy, tdx;
  if (failed(glk_tensor_init(&tdy, dy, GLK_DTYPE_F32, 2, y_shape, NULL),
             "glk_tensor_init(dy)") ||
      failed(glk_tensor_init(&tdx, dx, GLK_DTYPE_F32, 2, x_shape, NULL),
             "glk_tensor_init(dx)") ||
      failed(glk_backward(&tx, &tdy, &tdx, &opt), "glk_backward"))
    return 1;

  for (int r = 0; r < ROWS; r++) {
    for (int c = 0; c < HALF; c++) {
      double v = x[r][c], g = x[r][HALF + c], s = sigmoid(g);
      double want_dv = g * s, want_dg = v * s * (1.0 + g * (1.0 - s));
      float got_dv = dx[r][c], got_dg = dx[r][HALF + c];
      if (!close_to(got_dv, want_dv) || !close_to(got_dg, want_dg)) {
        fprintf(stderr, "mismatch: dV, dG [%d][%d] = (%.9g, %.9g), "
                "expected (%.9g, %.9g)\n", r, c, got_dv, got_dg, want_dv,
                want_dg);
        bad = 1;
      }
    }
  }
  printf("backward: dX checked\n");

  /* 6. Errors are status codes plus a per-thread message with the numbers.
   *    Here: an odd size (7) along the split axis cannot be halved. */
  const int64_t odd_shape[2] = {ROWS, 7};
  glk_status st = glk_output_shape(2, odd_shape, -1, y_shape);
  printf("odd split -> %s: %s\n", glk_status_string(st), glk_last_error());
  if (st != GLK_ERR_ODD_SPLIT) {
    fprintf(stderr, "expected GLK_ERR_ODD_SPLIT, got %d\n", (int)st);
    bad = 1;
  }

  printf(bad ? "FAILED\n" : "OK\n");
  return bad;
}

/*
 * `glukit bench`: per shape, dtype, variant, direction and thread count,
 * the median time of a call and the same for a memory stream that reads
 * and writes as many bytes, timed alternately so noise hits both.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_bench.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_data.h"
#include "bench_report.h"
#include "bench_stream.h"
#include "glukit.h"

enum { EXIT_DATA = 1, EXIT_USAGE = 2, MAX_LIST = 16 };

typedef struct bench_config {
  int nshapes, nacts, ndtypes, nthreads;
  int32_t ranks[MAX_LIST];
  int64_t shapes[MAX_LIST][GLK_MAX_RANK];
  glk_act acts[MAX_LIST];
  glk_dtype dtypes[MAX_LIST];
  int threads[MAX_LIST];
  int32_t dim;
  glk_layout layout;
  int forward, backward;
  glk_isa isa;
  int reps; /* 0: chosen per row from the call's duration */
  int plan; /* time glk_plan_run on a plan made per row */
  const char *json;
} bench_config;

void cli_bench_help(FILE *out) {
  fprintf(out,
      "usage: glukit bench [options]\n"
      "Time glk_forward and glk_backward on random N(0,1) data and compare "
      "each with\na memory stream that reads and writes the same bytes on "
      "the same threads,\ntimed alternately with it (the ceiling for a "
      "memory-bound kernel).\n\n"
      "options (lists are comma-separated):\n"
      "  --shape RxC,...   shapes of X (any rank: AxBxC); default "
      "8x64,256x4096,\n"
      "                    4096x8192,8192x28672\n"
      "  --act NAME,...    default glu,swiglu,geglu\n"
      "  --dtype NAME,...  f32, bf16, f16, f64; default f32,bf16\n"
      "  --threads N,...   default 1 and every core (glk_default_num_threads)\n"
      "  --dim D           split axis, default -1\n"
      "  --layout L        halves (default) or interleaved\n"
      "  --direction D     forward, backward or both (default)\n"
      "  --isa I           auto (default), scalar, avx2, avx512, neon\n"
      "  --reps N          timed repetitions per row (default: 5 to 31 by "
      "size)\n"
      "  --call C          once (default: glk_forward, glk_backward) or plan\n"
      "                    (glk_plan_run on a plan made before the row)\n"
      "  --json FILE       also write the results as JSON\n"
      "  -h, --help        show this help\n\n"
      "Each repetition times a batch of calls lasting about 2 ms (one call "
      "for large\nshapes); reported times are medians per call, warm-up "
      "excluded. The stream is\nrun with ordinary and with streaming "
      "(non-temporal) stores; the faster is the\nceiling.\n");
}

static int usage(const char *fmt, const char *arg) {
  fputs("glukit bench: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs(" (see glukit bench --help)\n", stderr);
  return EXIT_USAGE;
}

/* Splits a comma list into at most MAX_LIST items; 0 on failure. */
static int split_list(char *text, char *items[MAX_LIST], int *count) {
  *count = 0;
  for (char *save = NULL, *tok = strtok_r(text, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    if (*count == MAX_LIST) return 0;
    items[(*count)++] = tok;
  }
  return *count > 0;
}

static int parse_long(const char *text, long lo, long hi, long *value) {
  char *end;
  *value = strtol(text, &end, 10);
  return end != text && *end == '\0' && *value >= lo && *value <= hi;
}

static int parse_shape(const char *text, int32_t *rank, int64_t *shape) {
  *rank = 0;
  for (const char *at = text;; at++) { /* extents separated by single 'x's */
    char *end;
    long long v = strtoll(at, &end, 10);
    if (end == at || v < 1 || v > (1LL << 40) || *rank == GLK_MAX_RANK ||
        (*end != 'x' && *end != '\0'))
      return 0;
    shape[(*rank)++] = v;
    if (*end == '\0') return 1;
    at = end;
  }
}

/* Applies a list option ("--shape", "--act", ...) to c. */
static int apply_list(bench_config *c, const char *name, char *value) {
  char *items[MAX_LIST], copy[512];
  int n;
  snprintf(copy, sizeof copy, "%s", value);
  if (!split_list(copy, items, &n)) return usage("bad list '%s'", value);
  for (int i = 0; i < n; i++) {
    long v;
    if (strcmp(name, "--shape") == 0) {
      if (!parse_shape(items[i], &c->ranks[i], c->shapes[i]))
        return usage("--shape wants RxC (positive extents), got '%s'", value);
      c->nshapes = n;
    } else if (strcmp(name, "--act") == 0) {
      if (glk_act_from_name(items[i], &c->acts[i]) != GLK_OK)
        return usage("unknown --act '%s'", items[i]);
      c->nacts = n;
    } else if (strcmp(name, "--dtype") == 0) {
      if (glk_dtype_from_name(items[i], &c->dtypes[i]) != GLK_OK)
        return usage("unknown --dtype '%s'", items[i]);
      c->ndtypes = n;
    } else {
      if (!parse_long(items[i], 1, 1024, &v))
        return usage("--threads wants counts from 1 to 1024, got '%s'", value);
      c->threads[i] = (int)v;
      c->nthreads = n;
    }
  }
  return 0;
}

static int apply_option(bench_config *c, const char *name, char *value) {
  long v;
  if (!strcmp(name, "--shape") || !strcmp(name, "--act") ||
      !strcmp(name, "--dtype") || !strcmp(name, "--threads"))
    return apply_list(c, name, value);
  if (strcmp(name, "--dim") == 0) {
    if (!parse_long(value, -GLK_MAX_RANK, GLK_MAX_RANK - 1, &v))
      return usage("--dim wants an axis, got '%s'", value);
    c->dim = (int32_t)v;
  } else if (strcmp(name, "--layout") == 0) {
    if (!strcmp(value, "halves")) c->layout = GLK_LAYOUT_HALVES;
    else if (!strcmp(value, "interleaved")) c->layout = GLK_LAYOUT_INTERLEAVED;
    else return usage("--layout wants halves or interleaved, got '%s'", value);
  } else if (strcmp(name, "--direction") == 0) {
    c->forward = !strcmp(value, "forward") || !strcmp(value, "both");
    c->backward = !strcmp(value, "backward") || !strcmp(value, "both");
    if (!c->forward && !c->backward)
      return usage("--direction wants forward, backward or both, got '%s'", value);
  } else if (strcmp(name, "--isa") == 0) {
    int found = 0;
    for (int i = 0; i < GLK_ISA_COUNT && !found; i++)
      if (!strcmp(value, glk_isa_name((glk_isa)i))) c->isa = (glk_isa)i, found = 1;
    if (!found) return usage("unknown --isa '%s'", value);
    if (!glk_isa_supported(c->isa))
      return usage("--isa %s is not supported on this CPU", value);
  } else if (strcmp(name, "--reps") == 0) {
    if (!parse_long(value, 1, 100000, &v))
      return usage("--reps wants a count from 1, got '%s'", value);
    c->reps = (int)v;
  } else if (strcmp(name, "--call") == 0) {
    if (!strcmp(value, "once")) c->plan = 0;
    else if (!strcmp(value, "plan")) c->plan = 1;
    else return usage("--call wants once or plan, got '%s'", value);
  } else if (strcmp(name, "--json") == 0) {
    c->json = value;
  } else {
    return usage("unknown option '%s'", name);
  }
  return 0;
}

static int parse_args(int argc, char **argv, bench_config *c, int *help) {
  static const int64_t default_shapes[4][2] = {
      {8, 64}, {256, 4096}, {4096, 8192}, {8192, 28672}};
  memset(c, 0, sizeof *c);
  c->nshapes = 4;
  for (int i = 0; i < 4; i++) {
    c->ranks[i] = 2;
    memcpy(c->shapes[i], default_shapes[i], sizeof default_shapes[i]);
  }
  c->nacts = 3;
  c->acts[0] = GLK_ACT_GLU, c->acts[1] = GLK_ACT_SWIGLU, c->acts[2] = GLK_ACT_GEGLU;
  c->ndtypes = 2;
  c->dtypes[0] = GLK_DTYPE_F32, c->dtypes[1] = GLK_DTYPE_BF16;
  c->threads[0] = 1, c->threads[1] = glk_default_num_threads();
  c->nthreads = c->threads[1] > 1 ? 2 : 1;
  c->dim = -1;
  c->forward = c->backward = 1;
  *help = 0;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      *help = 1;
      continue;
    }
    if (strncmp(argv[i], "--", 2) != 0) return usage("unexpected argument '%s'", argv[i]);
    char name[32];
    char *eq = strchr(argv[i], '='), *value;
    size_t len = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
    if (len >= sizeof name) return usage("unknown option '%s'", argv[i]);
    memcpy(name, argv[i], len);
    name[len] = '\0';
    if (eq) value = eq + 1;
    else if (i + 1 < argc) value = argv[++i];
    else return usage("option '%s' needs a value", name);
    int status = apply_option(c, name, value);
    if (status) return status;
  }
  return 0;
}

/* ---- timing ------------------------------------------------------------- */

/* The three things timed alternately in a row. */
typedef struct bench_case {
  const glk_tensor *x, *y, *dy, *dx;
  glk_options options;
  int backward, threads;
  bench_stream stream;
  glk_plan *plan; /* --call plan: run this on `data` */
  void *data[3];
} bench_case;

enum { OP_GLU, OP_STREAM_PLAIN, OP_STREAM_NT, OP_COUNT };

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static glk_status run_op(bench_case *c, int op) {
  if (op == OP_GLU && c->plan) return glk_plan_run(c->plan, c->data);
  if (op == OP_GLU)
    return c->backward ? glk_backward(c->x, c->dy, c->dx, &c->options)
                       : glk_forward(c->x, c->y, &c->options);
  c->stream.nontemporal = op == OP_STREAM_NT;
  bench_stream_run(&c->stream, c->threads);
  return GLK_OK;
}

/* Nanoseconds per call over a batch of `batch` calls. */
static double time_batch(bench_case *c, int op, long batch) {
  const double start = now_ns();
  for (long i = 0; i < batch; i++) run_op(c, op);
  return (now_ns() - start) / (double)batch;
}

static int compare_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define BATCH_NS 2e6     /* a repetition lasts about this long */
#define ROW_BUDGET_NS 5e8 /* automatic repetitions: about this per operation */

/* Times the row; returns 0, or EXIT_DATA when the library refuses. */
static int measure(bench_case *c, int reps_wanted, bench_row *row) {
  glk_status s = run_op(c, OP_GLU); /* warm-up, and the argument check */
  if (s != GLK_OK) {
    fprintf(stderr, "glukit bench: %s\n", glk_last_error());
    return EXIT_DATA;
  }
  const int nops = bench_stream_nontemporal_ok(&c->stream) ? OP_COUNT : OP_STREAM_NT;
  long batch[OP_COUNT];
  for (int op = 0; op < nops; op++) { /* warm up, then size the batch */
    time_batch(c, op, 1);
    const double t = time_batch(c, op, 1);
    batch[op] = t < BATCH_NS ? (long)(BATCH_NS / (t > 1 ? t : 1)) + 1 : 1;
    time_batch(c, op, batch[op]);
  }
  int reps = reps_wanted;
  if (reps == 0) { /* fewer repetitions for the slow rows */
    const double rep_ns = time_batch(c, OP_GLU, batch[OP_GLU]) * (double)batch[OP_GLU];
    reps = (int)(ROW_BUDGET_NS / rep_ns);
    reps = reps < 5 ? 5 : reps > 31 ? 31 : reps | 1;
  }
  double *samples = malloc(sizeof(double) * (size_t)reps * OP_COUNT);
  if (!samples) return EXIT_DATA;
  for (int r = 0; r < reps; r++)
    for (int k = 0; k < nops; k++) { /* rotate the order, so no op always follows another */
      const int op = (r + k) % nops;
      samples[op * reps + r] = time_batch(c, op, batch[op]);
    }
  row->reps = reps;
  row->batch = batch[OP_GLU];
  row->call_ns = median(samples, reps);
  row->stream_plain_ns = median(samples + reps, reps);
  row->stream_nt_ns = nops == OP_COUNT ? median(samples + 2 * reps, reps) : -1;
  free(samples);
  return 0;
}

/* ---- the runs ----------------------------------------------------------- */

typedef struct bench_data {
  glk_tensor x, y, dy, dx;
  size_t x_bytes, y_bytes;
} bench_data;

static void free_data(bench_data *d) {
  free(d->x.data), free(d->y.data), free(d->dy.data), free(d->dx.data);
  memset(d, 0, sizeof *d);
}

/* Buffers for one shape and dtype, inputs random; 0 or an exit status. */
static int make_data(const bench_config *c, int shape_index, glk_dtype dtype,
                     bench_data *d) {
  const int32_t rank = c->ranks[shape_index];
  const int64_t *shape = c->shapes[shape_index];
  int64_t y_shape[GLK_MAX_RANK];
  memset(d, 0, sizeof *d);
  glk_output_shape(rank, shape, c->dim, y_shape); /* checked in cli_bench */
  size_t count = 1;
  for (int32_t i = 0; i < rank; i++) count *= (size_t)shape[i];
  d->x_bytes = count * glk_dtype_size(dtype);
  d->y_bytes = d->x_bytes / 2;
  void *x = bench_alloc(d->x_bytes), *y = bench_alloc(d->y_bytes);
  void *dy = c->backward ? bench_alloc(d->y_bytes) : NULL;
  void *dx = c->backward ? bench_alloc(d->x_bytes) : NULL;
  glk_tensor_init(&d->x, x, dtype, rank, shape, NULL);
  glk_tensor_init(&d->y, y, dtype, rank, y_shape, NULL);
  glk_tensor_init(&d->dy, dy, dtype, rank, y_shape, NULL);
  glk_tensor_init(&d->dx, dx, dtype, rank, shape, NULL);
  if (!x || !y || (c->backward && (!dy || !dx))) {
    fprintf(stderr, "glukit bench: out of memory for %zu-byte tensors\n", d->x_bytes);
    free_data(d);
    return EXIT_DATA;
  }
  bench_fill_normal(x, dtype, count, 1 + (uint64_t)shape_index);
  if (dy) bench_fill_normal(dy, dtype, count / 2, 1001 + (uint64_t)shape_index);
  return 0;
}

/* The stream reads the halves of X (and dY) and writes Y (or the halves
 * of dX): the very buffers of the GLU call, so the same pages. */
static bench_stream stream_for(const bench_data *d, int backward) {
  bench_stream s;
  memset(&s, 0, sizeof s);
  const char *x = d->x.data;
  s.bytes = d->y_bytes;
  s.in[0] = x, s.in[1] = x + d->y_bytes;
  if (backward) {
    s.nin = 3, s.nout = 2;
    s.in[2] = d->dy.data;
    s.out[0] = d->dx.data, s.out[1] = (char *)d->dx.data + d->y_bytes;
  } else {
    s.nin = 2, s.nout = 1;
    s.out[0] = d->y.data;
  }
  return s;
}

typedef struct row_list {
  bench_row *rows;
  size_t count, capacity;
} row_list;

static int push_row(row_list *l, const bench_row *r) {
  if (l->count == l->capacity) {
    size_t cap = l->capacity ? 2 * l->capacity : 64;
    bench_row *grown = realloc(l->rows, cap * sizeof *grown);
    if (!grown) return -1;
    l->rows = grown, l->capacity = cap;
  }
  l->rows[l->count++] = *r;
  return 0;
}

static int run_shape_dtype(const bench_config *c, const bench_data *d,
                           int shape_index, glk_dtype dtype, row_list *rows) {
  for (int backward = 0; backward < 2; backward++) {
    if (backward ? !c->backward : !c->forward) continue;
    for (int a = 0; a < c->nacts; a++)
      for (int t = 0; t < c->nthreads; t++) {
        bench_case k = {&d->x, &d->y, &d->dy, &d->dx, {0}, backward,
                        c->threads[t], stream_for(d, backward), NULL, {NULL}};
        glk_options_init(&k.options);
        k.options.act = c->acts[a];
        k.options.dim = c->dim;
        k.options.layout = c->layout;
        k.options.isa = c->isa;
        k.options.num_threads = c->threads[t];
        bench_row row = {0};
        row.rank = c->ranks[shape_index];
        memcpy(row.shape, c->shapes[shape_index], sizeof row.shape);
        row.dim = c->dim, row.layout = c->layout, row.dtype = dtype;
        row.act = c->acts[a], row.backward = backward, row.threads = c->threads[t];
        row.bytes = (double)(backward ? 2 * d->x_bytes + d->y_bytes
                                      : d->x_bytes + d->y_bytes);
        row.y_elements = (double)(d->y_bytes / glk_dtype_size(dtype));
        row.plan = c->plan;
        if (c->plan) {
          const glk_status st =
              backward ? glk_plan_backward(k.x, k.dy, k.dx, &k.options, &k.plan)
                       : glk_plan_forward(k.x, k.y, &k.options, &k.plan);
          if (st) {
            fprintf(stderr, "glukit bench: %s\n", glk_last_error());
            return EXIT_DATA;
          }
          k.data[0] = d->x.data;
          k.data[1] = backward ? d->dy.data : d->y.data;
          k.data[2] = d->dx.data;
        }
        int status = measure(&k, c->reps, &row);
        glk_plan_destroy(k.plan);
        if (status) return status;
        bench_print_row(stdout, &row);
        if (push_row(rows, &row)) return EXIT_DATA;
      }
  }
  return 0;
}

/* A run's first row came out slow when the machine had idled: f32 glu on
 * 8x64, one thread, 330 ns a call, against 195 for the same row run again
 * at once (Intel Xeon, 2026-12-07), though every row warms up and takes
 * the median of its repetitions: the core's clock had not yet ramped up.
 * So the calling thread spins this long first (the pool's threads warm up
 * in their own rows' warm-up calls). */
#define WARM_UP_NS 3e8

static void warm_up_core(void) {
  volatile double x = 1.0;
  const double end = now_ns() + WARM_UP_NS;
  while (now_ns() < end)
    for (int i = 0; i < 4096; i++) x = x * 0.999999 + 1e-7;
}

int cli_bench(int argc, char **argv) {
  bench_config c;
  int help;
  int status = parse_args(argc, argv, &c, &help);
  if (status) return status;
  if (help) {
    cli_bench_help(stdout);
    return 0;
  }
  for (int i = 0; i < c.nshapes; i++) { /* refuse a bad shape before any work */
    int64_t y_shape[GLK_MAX_RANK];
    if (glk_output_shape(c.ranks[i], c.shapes[i], c.dim, y_shape) != GLK_OK) {
      fprintf(stderr, "glukit bench: %s\n", glk_last_error());
      return EXIT_USAGE;
    }
  }
  bench_machine m;
  bench_machine_read(&m, c.isa);
  size_t at = (size_t)snprintf(m.command, sizeof m.command, "glukit bench");
  for (int i = 0; i < argc && at < sizeof m.command; i++)
    at += (size_t)snprintf(m.command + at, sizeof m.command - at, " %s", argv[i]);
  bench_print_header(stdout, &m,
                     c.plan ? "calls: glk_plan_run on a plan made per row (--call plan)" : NULL);
  row_list rows = {0};
  warm_up_core();
  for (int s = 0; s < c.nshapes && !status; s++)
    for (int t = 0; t < c.ndtypes && !status; t++) {
      bench_data d;
      status = make_data(&c, s, c.dtypes[t], &d);
      if (status) break;
      status = run_shape_dtype(&c, &d, s, c.dtypes[t], &rows);
      free_data(&d);
    }
  if (!status && c.json && bench_write_json(c.json, &m, rows.rows, rows.count)) {
    fprintf(stderr, "glukit bench: cannot write %s\n", c.json);
    status = EXIT_DATA;
  }
  free(rows.rows);
  return status;
}

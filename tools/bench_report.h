/* `glukit bench`'s results: one row per measurement, as a table or JSON. */
#ifndef GLUKIT_TOOLS_BENCH_REPORT_H
#define GLUKIT_TOOLS_BENCH_REPORT_H

#include <stdio.h>

#include "glukit.h"

typedef struct bench_row {
  int32_t rank;
  int64_t shape[GLK_MAX_RANK]; /* of X */
  int32_t dim;
  glk_layout layout;
  glk_dtype dtype;
  glk_act act;
  int backward;
  int threads;
  int reps;     /* timed repetitions, warm-up excluded */
  long batch;   /* calls per repetition (small shapes take many) */
  double bytes; /* moved per call: X + Y, or X + dY + dX */
  double y_elements;
  double call_ns;         /* median wall time of one call */
  double stream_plain_ns; /* the same-traffic stream, ordinary stores */
  double stream_nt_ns;    /* with streaming stores; < 0: not run */
  int plan;               /* timed through glk_plan_run */
} bench_row;

typedef struct bench_machine {
  char cpu[128];
  int cores;
  const char *isa;        /* the glukit kernels used */
  const char *stream_isa; /* the stream's vector width */
  char date[32];          /* UTC, ISO 8601 */
  char command[512];
} bench_machine;

/* Fills everything but `command` from this machine and the clock. */
void bench_machine_read(bench_machine *m, glk_isa isa);

/* The faster stream of a row, its name ("plain" or "nt"), and the ratio
 * GLU GB/s / stream GB/s. */
double bench_row_stream_ns(const bench_row *r, const char **kind);
double bench_row_ratio(const bench_row *r);

/* note: a line before the column names, or NULL */
void bench_print_header(FILE *out, const bench_machine *m, const char *note);
void bench_print_row(FILE *out, const bench_row *r);

/* Writes {"machine": {...}, "results": [{...}, ...]}; 0 or -1 (errno). */
int bench_write_json(const char *path, const bench_machine *m,
                     const bench_row *rows, size_t count);

#endif /* GLUKIT_TOOLS_BENCH_REPORT_H */

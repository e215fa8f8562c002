/*
 * `glukit bench`'s ceiling: a memory stream with the same traffic as a GLU
 * call, run by a persistent team of threads, and the team itself.
 */
#ifndef GLUKIT_TOOLS_BENCH_STREAM_H
#define GLUKIT_TOOLS_BENCH_STREAM_H

#include <stddef.h>

/* Runs fn(ctx, part, parts) for part < parts on `parts` threads (the
 * caller is part 0) and returns when all are done. Workers are started on
 * first use and kept, like the library's pool, so a call costs a wake-up,
 * not a thread creation. */
typedef void (*bench_part_fn)(void *ctx, int part, int parts);
void bench_team_run(int parts, bench_part_fn fn, void *ctx);

/*
 * The stream: `nin` input arrays and `nout` output arrays of `bytes`
 * bytes each. Forward GLU traffic is 2 in, 1 out (the halves of X, then Y);
 * backward is 3 in, 2 out (the halves of X and dY, then the halves of dX).
 * Each output is a 32-bit lane sum of inputs: integer adds, so no bit
 * pattern (bf16 pairs read as f32, say) can hit a slow floating-point case.
 */
typedef struct bench_stream {
  const void *in[3];
  void *out[2];
  int nin, nout;
  size_t bytes;
  int nontemporal; /* streaming stores that bypass the caches */
} bench_stream;

/* Nonzero when `s` can use streaming stores here: an x86 build, and every
 * output 64-byte aligned. */
int bench_stream_nontemporal_ok(const bench_stream *s);

/* One pass of the stream on `threads` threads, each taking one contiguous
 * slice of every array. */
void bench_stream_run(const bench_stream *s, int threads);

/* Name of the vector width the stream uses here ("avx512", "sse2", ...). */
const char *bench_stream_isa(void);

#endif /* GLUKIT_TOOLS_BENCH_STREAM_H */

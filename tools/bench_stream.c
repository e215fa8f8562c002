#define _POSIX_C_SOURCE 200809L
#include "bench_stream.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the team ----------------------------------------------------------- */

typedef struct bench_team {
  pthread_mutex_t m;
  pthread_cond_t work, done;
  int workers;         /* started so far; worker i runs part i + 1 */
  unsigned generation; /* bumped for each job */
  bench_part_fn fn;
  void *ctx;
  int parts, pending;
} bench_team;

static bench_team team = {.m = PTHREAD_MUTEX_INITIALIZER,
                          .work = PTHREAD_COND_INITIALIZER,
                          .done = PTHREAD_COND_INITIALIZER};

static void *bench_worker(void *arg) {
  const int part = (int)(intptr_t)arg;
  /* Created under the lock by a call about to publish its job, so the
   * first generation this worker sees is the job it was started for. */
  unsigned seen = 0;
  pthread_mutex_lock(&team.m);
  for (;;) {
    while (team.generation == seen) pthread_cond_wait(&team.work, &team.m);
    seen = team.generation;
    if (part >= team.parts) continue;
    pthread_mutex_unlock(&team.m);
    team.fn(team.ctx, part, team.parts);
    pthread_mutex_lock(&team.m);
    if (--team.pending == 0) pthread_cond_signal(&team.done);
  }
  return NULL;
}

void bench_team_run(int parts, bench_part_fn fn, void *ctx) {
  if (parts <= 1) {
    fn(ctx, 0, 1);
    return;
  }
  pthread_mutex_lock(&team.m);
  while (team.workers < parts - 1) {
    pthread_t t;
    if (pthread_create(&t, NULL, bench_worker, (void *)(intptr_t)(team.workers + 1))) {
      /* A ceiling on fewer threads than asked would be a false one. */
      fputs("glukit bench: cannot start a thread\n", stderr);
      exit(1);
    }
    pthread_detach(t);
    team.workers++;
  }
  team.fn = fn, team.ctx = ctx, team.parts = parts, team.pending = parts - 1;
  team.generation++;
  pthread_cond_broadcast(&team.work);
  pthread_mutex_unlock(&team.m);
  fn(ctx, 0, parts);
  pthread_mutex_lock(&team.m);
  while (team.pending > 0) pthread_cond_wait(&team.done, &team.m);
  pthread_mutex_unlock(&team.m);
}

/* ---- the stream kernels ------------------------------------------------- */

/* Bytes [lo, hi) of every array; returns where the vector loop stopped.
 * out[0] = in[0] + in[last], and for backward out[1] = in[1] + in[last]. */
typedef size_t (*stream_fn)(const bench_stream *s, size_t lo, size_t hi);

#define STREAM_LOOP(VEC, LOAD, ADD, PUT)                                   \
  for (; i + sizeof(VEC) <= hi; i += sizeof(VEC)) {                        \
    const VEC c = LOAD((const VEC *)(cc + i));                             \
    PUT((VEC *)(p + i), ADD(LOAD((const VEC *)(a + i)), c));               \
    if (two) PUT((VEC *)(q + i), ADD(LOAD((const VEC *)(b + i)), c));      \
  }

#define DEFINE_STREAM(NAME, ATTR, VEC, LOAD, ADD, STORE, STREAM)           \
  ATTR static size_t NAME(const bench_stream *s, size_t lo, size_t hi) {   \
    const char *a = s->in[0], *b = s->in[1], *cc = s->in[s->nin - 1];      \
    char *p = s->out[0], *q = s->out[s->nout - 1];                         \
    const int two = s->nout == 2;                                          \
    size_t i = lo;                                                         \
    if (s->nontemporal) {                                                  \
      STREAM_LOOP(VEC, LOAD, ADD, STREAM)                                  \
      _mm_sfence(); /* order the streaming stores before returning */      \
    } else {                                                               \
      STREAM_LOOP(VEC, LOAD, ADD, STORE)                                   \
    }                                                                      \
    return i;                                                              \
  }

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
DEFINE_STREAM(stream_avx512, __attribute__((target("avx512f"))), __m512i,
              _mm512_loadu_si512, _mm512_add_epi32, _mm512_storeu_si512,
              _mm512_stream_si512)
DEFINE_STREAM(stream_avx2, __attribute__((target("avx2"))), __m256i,
              _mm256_loadu_si256, _mm256_add_epi32, _mm256_storeu_si256,
              _mm256_stream_si256)
DEFINE_STREAM(stream_sse2, , __m128i, _mm_loadu_si128, _mm_add_epi32,
              _mm_storeu_si128, _mm_stream_si128)

static stream_fn stream_pick(const char **name) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return *name = "avx512", stream_avx512;
  if (__builtin_cpu_supports("avx2")) return *name = "avx2", stream_avx2;
  return *name = "sse2", stream_sse2;
}
#else
/* Elsewhere 8-byte lanes through memcpy, which compilers vectorise. */
static size_t stream_c(const bench_stream *s, size_t lo, size_t hi) {
  const char *a = s->in[0], *b = s->in[1], *cc = s->in[s->nin - 1];
  char *p = s->out[0], *q = s->out[s->nout - 1];
  size_t i = lo;
  for (; i + 8 <= hi; i += 8) {
    uint64_t x, y, c;
    memcpy(&c, cc + i, 8);
    memcpy(&x, a + i, 8);
    x += c;
    memcpy(p + i, &x, 8);
    if (s->nout == 2) {
      memcpy(&y, b + i, 8);
      y += c;
      memcpy(q + i, &y, 8);
    }
  }
  return i;
}

static stream_fn stream_pick(const char **name) {
  return *name = "c", stream_c;
}
#endif

static const char *stream_name;
static stream_fn stream_kernel;
static pthread_once_t stream_once = PTHREAD_ONCE_INIT;
static void stream_init(void) { stream_kernel = stream_pick(&stream_name); }

const char *bench_stream_isa(void) {
  pthread_once(&stream_once, stream_init);
  return stream_name;
}

int bench_stream_nontemporal_ok(const bench_stream *s) {
#if defined(__x86_64__) && defined(__GNUC__)
  for (int k = 0; k < s->nout; k++)
    if ((uintptr_t)s->out[k] % 64) return 0;
  return 1;
#else
  (void)s;
  return 0;
#endif
}

static void stream_part(void *ctx, int part, int parts) {
  const bench_stream *s = ctx;
  /* Slices start on 64-byte boundaries: aligned streaming stores, and no
   * cache line written by two threads. */
  size_t lo = s->bytes / (size_t)parts * (size_t)part / 64 * 64;
  size_t hi = part + 1 == parts ? s->bytes
                                : s->bytes / (size_t)parts * (size_t)(part + 1) / 64 * 64;
  size_t i = stream_kernel(s, lo, hi);
  const unsigned char *a = s->in[0], *b = s->in[1], *c = s->in[s->nin - 1];
  unsigned char *p = s->out[0], *q = s->out[s->nout - 1];
  for (; i < hi; i++) { /* the last few bytes */
    p[i] = (unsigned char)(a[i] + c[i]);
    if (s->nout == 2) q[i] = (unsigned char)(b[i] + c[i]);
  }
}

/* The library keeps work under 64 KiB of traffic per thread on fewer
 * threads (src/plan/walk.c); the stream does the same, so small shapes
 * compare one thread with one thread. */
#define STREAM_MIN_BYTES_PER_THREAD (64 * 1024)

void bench_stream_run(const bench_stream *s, int threads) {
  pthread_once(&stream_once, stream_init);
  const size_t traffic = s->bytes * (size_t)(s->nin + s->nout);
  const size_t useful = traffic / STREAM_MIN_BYTES_PER_THREAD;
  if (useful < (size_t)threads) threads = useful < 1 ? 1 : (int)useful;
  bench_team_run(threads, stream_part, (void *)s);
}

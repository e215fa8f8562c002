#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "dispatch/threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "dispatch/once.h"
#include "glukit.h"

#define GLK_MAX_WORKERS 63

/*
 * The caller waits for tasks, never for workers. A worker that has not yet
 * been scheduled when the caller has claimed every task is not waited for:
 * with another library's threads spinning on the same cores (PyTorch's
 * OpenMP team after each of its calls), the caller would otherwise sleep
 * until the kernel gave that worker a time slice, and two threads ran
 * slower than one.
 *
 * Tasks are claimed from `claim`, which holds the job's generation (high 32
 * bits) beside the next task index, so a worker that wakes late, after its
 * job is over and another has begun, cannot claim a task of the new job with
 * the old job's function. A job is over when `finished` reaches its task
 * count: every claimed task has then run, and the caller may return.
 */
typedef struct glk_pool {
  pthread_mutex_t job_lock; /* held by the caller whose job is running */
  pthread_mutex_t m;
  pthread_cond_t work, done;
  int workers;         /* started so far */
  uint32_t generation; /* bumped for each job; the first job is 1 */
  _Atomic uint32_t published; /* generation, readable without m (spinners) */
  /* the current job, under m */
  glk_task_fn fn;
  void *ctx;
  size_t tasks;
  int wanted; /* workers taking part: indices 0 .. wanted-1 */
  _Atomic uint64_t claim;  /* generation << 32 | next task index */
  atomic_size_t finished; /* tasks of the current job done */
} glk_pool;

static glk_pool glk_the_pool = {
    .job_lock = PTHREAD_MUTEX_INITIALIZER,
    .m = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

/*
 * Waits between back-to-back jobs spin before they sleep: a worker that
 * has run out of tasks spins up to GLUKIT_SPIN_US microseconds (default
 * 50) for the next job, and a caller whose tasks are all claimed as long
 * for the workers' last ones.
 * Waking a sleeping thread goes through the kernel (in a VM, an
 * inter-processor interrupt through the hypervisor: tens of
 * microseconds), and a worker that wakes late takes fewer tasks: at
 * 256x4096 f32, two threads ran 1.5 times as fast as one instead of 2
 * (bench/RESULTS-cpu.md, 2026-11-29 21:00 UTC). The spin is bounded, so
 * an idle process sleeps; OpenMP runtimes spin far longer by default.
 */
#define GLK_SPIN_US_DEFAULT 50

static int64_t glk_spin_ns = GLK_SPIN_US_DEFAULT * 1000;
static pthread_once_t glk_spin_once = PTHREAD_ONCE_INIT;
static atomic_int glk_spin_done;

/* GLUKIT_SPIN_US: the spin in microseconds (0: sleep at once; at most one
 * second), read once; anything but a count keeps the default */
static void glk_read_spin(void) {
  const char *env = getenv("GLUKIT_SPIN_US");
  if (!env || !*env) return;
  char *end;
  const long us = strtol(env, &end, 10);
  if (end == env || *end != '\0' || us < 0) return; /* not a count: the default */
  glk_spin_ns = (int64_t)(us < 1000000 ? us : 1000000) * 1000;
}

static void glk_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static int64_t glk_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Spins until *v != value or the spin time has passed (the clock read
 * every 64 pauses); returns the last value read. */
static uint32_t glk_spin_while_u32(_Atomic uint32_t *v, uint32_t value) {
  if (glk_spin_ns == 0) return value;
  const int64_t end = glk_now_ns() + glk_spin_ns;
  for (;;) {
    for (int i = 0; i < 64; i++) {
      const uint32_t now = atomic_load_explicit(v, memory_order_acquire);
      if (now != value) return now;
      glk_cpu_relax();
    }
    if (glk_now_ns() > end) return value;
  }
}

/* The same for *v < below (a size_t counter) */
static void glk_spin_while_below(atomic_size_t *v, size_t below) {
  if (glk_spin_ns == 0) return;
  const int64_t end = glk_now_ns() + glk_spin_ns;
  for (;;) {
    for (int i = 0; i < 64; i++) {
      if (atomic_load_explicit(v, memory_order_acquire) >= below) return;
      glk_cpu_relax();
    }
    if (glk_now_ns() > end) return;
  }
}

/* Claims the next task of job `gen`: false once that job has none left or
 * has been replaced by the next. */
static int glk_claim(glk_pool *p, uint32_t gen, size_t tasks, size_t *task) {
  uint64_t v = atomic_load(&p->claim);
  for (;;) {
    if ((uint32_t)(v >> 32) != gen || (v & 0xffffffffu) >= tasks) return 0;
    if (atomic_compare_exchange_weak(&p->claim, &v, v + 1)) {
      *task = (size_t)(v & 0xffffffffu);
      return 1;
    }
  }
}

static void glk_drain(glk_pool *p, uint32_t gen, glk_task_fn fn, void *ctx, size_t tasks) {
  for (size_t t; glk_claim(p, gen, tasks, &t);) {
    fn(ctx, t);
    if (atomic_fetch_add(&p->finished, 1) + 1 == tasks) {
      /* the caller checks `finished` under m before it sleeps: no lost wake-up */
      pthread_mutex_lock(&p->m);
      pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->m);
    }
  }
}

static void *glk_worker(void *arg) {
  glk_pool *p = &glk_the_pool;
  const int index = (int)(size_t)arg;
  /* Workers are only started by a call that is about to publish its job,
   * so a new worker's first job is the current one: start from "none". */
  uint32_t seen = 0;
  int worked = 0; /* took part in the last job: only then spin for the next */
  pthread_mutex_lock(&p->m);
  for (;;) {
    if (worked && p->generation == seen) {
      pthread_mutex_unlock(&p->m);
      glk_spin_while_u32(&p->published, seen);
      pthread_mutex_lock(&p->m);
    }
    while (p->generation == seen) pthread_cond_wait(&p->work, &p->m);
    seen = p->generation;
    /* a worker the job does not want sleeps at once: a pool grown by a
     * large call must not keep spare cores spinning for smaller ones */
    worked = index < p->wanted;
    if (!worked) continue;
    const glk_task_fn fn = p->fn;
    void *const ctx = p->ctx;
    const size_t tasks = p->tasks;
    pthread_mutex_unlock(&p->m);
    glk_drain(p, seen, fn, ctx, tasks);
    pthread_mutex_lock(&p->m);
  }
  return NULL;
}

/* Starts workers up to `count` (under p->m); returns how many exist. */
static int glk_grow(glk_pool *p, int count) {
  while (p->workers < count) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    const int failed = pthread_create(&t, &attr, glk_worker, (void *)(size_t)p->workers);
    pthread_attr_destroy(&attr);
    if (failed) break; /* run with what we have */
    p->workers++;
  }
  return p->workers;
}

void glk__parallel_for(int threads, size_t tasks, glk_task_fn fn, void *ctx) {
  glk_pool *p = &glk_the_pool;
  int helpers = threads - 1;
  if (helpers > GLK_MAX_WORKERS) helpers = GLK_MAX_WORKERS;
  if ((size_t)helpers > tasks - 1) helpers = (int)(tasks - 1);
  if (helpers <= 0 || tasks > 0xffffffffu || pthread_mutex_trylock(&p->job_lock) != 0) {
    for (size_t t = 0; t < tasks; t++) fn(ctx, t);
    return;
  }
  glk__once(&glk_spin_once, &glk_spin_done, glk_read_spin); /* before any worker starts */
  pthread_mutex_lock(&p->m);
  p->wanted = glk_grow(p, helpers) < helpers ? p->workers : helpers;
  p->fn = fn, p->ctx = ctx, p->tasks = tasks;
  const uint32_t gen = ++p->generation == 0 ? ++p->generation : p->generation;
  atomic_store(&p->finished, 0);
  atomic_store(&p->claim, (uint64_t)gen << 32);
  atomic_store_explicit(&p->published, gen, memory_order_release);
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->m);

  glk_drain(p, gen, fn, ctx, tasks);

  if (atomic_load(&p->finished) < tasks) glk_spin_while_below(&p->finished, tasks);
  if (atomic_load(&p->finished) < tasks) {
    pthread_mutex_lock(&p->m);
    while (atomic_load(&p->finished) < tasks) pthread_cond_wait(&p->done, &p->m);
    pthread_mutex_unlock(&p->m);
  }
  pthread_mutex_unlock(&p->job_lock);
}

static int glk_threads_default;
static pthread_once_t glk_threads_once = PTHREAD_ONCE_INIT;
static atomic_int glk_threads_done;

static void glk_read_default_threads(void) {
  const char *env = getenv("GLUKIT_NUM_THREADS");
  long n = env ? strtol(env, NULL, 10) : 0;
  if (n < 1) n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  if (n > GLK_MAX_WORKERS + 1) n = GLK_MAX_WORKERS + 1;
  glk_threads_default = (int)n;
}

int glk__default_threads(void) {
  glk__once(&glk_threads_once, &glk_threads_done, glk_read_default_threads);
  return glk_threads_default;
}

GLK_API int glk_default_num_threads(void) { return glk__default_threads(); }

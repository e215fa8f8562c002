#include "dispatch/threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "glukit.h"

#define GLK_MAX_WORKERS 63

typedef struct glk_pool {
  pthread_mutex_t job_lock; /* held by the caller whose job is running */
  pthread_mutex_t m;
  pthread_cond_t work, done;
  int workers;         /* started so far */
  unsigned generation; /* bumped for each job; the first job is 1 */
  /* the current job */
  glk_task_fn fn;
  void *ctx;
  size_t tasks;
  atomic_size_t next;
  int wanted;  /* workers taking part: indices 0 .. wanted-1 */
  int pending; /* of those, still working */
} glk_pool;

static glk_pool glk_the_pool = {
    .job_lock = PTHREAD_MUTEX_INITIALIZER,
    .m = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

static void glk_drain(glk_pool *p) {
  for (size_t t; (t = atomic_fetch_add(&p->next, 1)) < p->tasks;) p->fn(p->ctx, t);
}

static void *glk_worker(void *arg) {
  glk_pool *p = &glk_the_pool;
  const int index = (int)(size_t)arg;
  /* Workers are only started by a call that is about to publish its job,
   * so a new worker's first job is the current one: start from "none". */
  unsigned seen = 0;
  pthread_mutex_lock(&p->m);
  for (;;) {
    while (p->generation == seen) pthread_cond_wait(&p->work, &p->m);
    seen = p->generation;
    if (index >= p->wanted) continue;
    pthread_mutex_unlock(&p->m);
    glk_drain(p);
    pthread_mutex_lock(&p->m);
    if (--p->pending == 0) pthread_cond_signal(&p->done);
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
  if (helpers <= 0 || pthread_mutex_trylock(&p->job_lock) != 0) {
    for (size_t t = 0; t < tasks; t++) fn(ctx, t);
    return;
  }
  pthread_mutex_lock(&p->m);
  helpers = glk_grow(p, helpers) < helpers ? p->workers : helpers;
  p->fn = fn, p->ctx = ctx, p->tasks = tasks;
  atomic_store(&p->next, 0);
  p->wanted = helpers;
  p->pending = helpers;
  p->generation++;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->m);

  glk_drain(p);

  pthread_mutex_lock(&p->m);
  while (p->pending > 0) pthread_cond_wait(&p->done, &p->m);
  pthread_mutex_unlock(&p->m);
  pthread_mutex_unlock(&p->job_lock);
}

static int glk_threads_default;
static pthread_once_t glk_threads_once = PTHREAD_ONCE_INIT;

static void glk_read_default_threads(void) {
  const char *env = getenv("GLUKIT_NUM_THREADS");
  long n = env ? strtol(env, NULL, 10) : 0;
  if (n < 1) n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  if (n > GLK_MAX_WORKERS + 1) n = GLK_MAX_WORKERS + 1;
  glk_threads_default = (int)n;
}

int glk__default_threads(void) {
  pthread_once(&glk_threads_once, glk_read_default_threads);
  return glk_threads_default;
}

GLK_API int glk_default_num_threads(void) { return glk__default_threads(); }

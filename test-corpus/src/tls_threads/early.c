/*
 * A thread that can exist before the thread-locals are linked: tt_early_start
 * starts it waiting on a condition; tt_early_run hands it a function (from
 * code linked later), waits until it has run, and returns how many functions
 * the thread ran. Natively, or when nothing started it, tt_early_run starts it.
 */
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static int started, ran, created;
static void *(*job)(void *);
static void *job_arg;

static void *wait_for_job(void *unused) {
  (void)unused;
  pthread_mutex_lock(&lock);
  while (!job)
    pthread_cond_wait(&wake, &lock);
  pthread_mutex_unlock(&lock);
  job(job_arg);
  ran++;
  return 0;
}

int tt_early_start(int unused) {
  (void)unused;
  if (!started) {
    started = pthread_create(&thread, 0, wait_for_job, 0) == 0;
    created += started;
  }
  return started;
}

int tt_early_run(void *(*fn)(void *), void *arg) {
  if (!tt_early_start(0))
    return 0;
  pthread_mutex_lock(&lock);
  job_arg = arg;
  job = fn;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&lock);
  pthread_join(thread, 0);
  started = 0;
  job = 0;
  return ran;
}

/* How many waiting threads were created: 1 after a run means the thread that ran was started before it. */
int tt_early_threads(int unused) {
  (void)unused;
  return created;
}

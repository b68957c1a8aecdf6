/*
 * Thread-locals in two objects, from the main thread, two pthreads created
 * here, and one that may have existed before this code was linked (early.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

extern __thread int tt_counter;
extern __thread char tt_name[16];
extern __thread long tt_zero[8];
int tt_bump_local(int by);
int *tt_counter_address(void);
int tt_early_run(void *(*fn)(void *), void *arg);

static __thread int here = 3;

struct result {
  int id, counter, local, here, same;
  long zero;
  char name[16];
};

static void *work(void *arg) {
  struct result *r = arg;
  int id = r->id;
  for (int i = 0; i < 10; i++) tt_counter += id;
  here *= id + 1;
  r->local = tt_bump_local(id);
  tt_zero[7] += id;
  size_t used = strlen(tt_name);
  snprintf(tt_name + used, sizeof tt_name - used, "-%d", id);
  r->counter = tt_counter;
  r->here = here;
  r->zero = tt_zero[7];
  r->same = tt_counter_address() == &tt_counter;
  memcpy(r->name, tt_name, sizeof r->name);
  return 0;
}

static void show(const struct result *r) {
  printf("thread %d: counter=%d local=%d here=%d zero=%ld same=%d name=%s\n", r->id, r->counter, r->local, r->here,
         r->zero, r->same, r->name);
}

int main(void) {
  struct result results[4] = {{.id = 1}, {.id = 2}, {.id = 3}, {.id = 4}};
  pthread_t threads[2];
  for (int i = 0; i < 2; i++) pthread_create(&threads[i], 0, work, &results[i + 1]);
  for (int i = 0; i < 2; i++) pthread_join(threads[i], 0);
  work(&results[0]);
  if (tt_early_run(work, &results[3]) < 1) printf("the early thread did not run\n");
  for (int i = 0; i < 4; i++) show(&results[i]);
  return 0;
}

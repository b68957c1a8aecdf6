/* A _Thread_local counter used from the main thread and two pthreads: each sees its own initialized copy.
   No system headers: the declarations below hold for Darwin and Linux alike (pthread_t is pointer-sized). */
typedef unsigned long thread_handle;
int pthread_create(thread_handle *thread, const void *attr, void *(*start)(void *), void *arg);
int pthread_join(thread_handle thread, void **result);
int printf(const char *format, ...);

extern _Thread_local int tlv_counter;
extern _Thread_local char tlv_name[16];
extern _Thread_local long tlv_zero[8];
int tlv_bump_local(int by);
int *tlv_counter_address(void);

static _Thread_local int here = 3;

struct result {
  int id, counter, local, here, same;
  long zero;
  char name[16];
};

static void *work(void *arg) {
  struct result *r = arg;
  int id = r->id;
  for (int i = 0; i < 10; i++) tlv_counter += id;
  here *= id + 1;
  r->local = tlv_bump_local(id);
  tlv_zero[7] += id;
  int used = 0;
  while (tlv_name[used] != 0) used++;
  tlv_name[used] = '-';
  tlv_name[used + 1] = (char)('0' + id);
  tlv_name[used + 2] = 0;
  r->counter = tlv_counter;
  r->here = here;
  r->zero = tlv_zero[7];
  r->same = tlv_counter_address() == &tlv_counter;
  for (int i = 0; i < 16; i++) r->name[i] = tlv_name[i];
  return 0;
}

static void show(const struct result *r) {
  printf("thread %d: counter=%d local=%d here=%d zero=%ld same=%d name=%s\n", r->id, r->counter, r->local, r->here,
         r->zero, r->same, r->name);
}

int main(void) {
  struct result results[3] = {{.id = 1}, {.id = 2}, {.id = 3}};
  thread_handle threads[2];
  for (int i = 0; i < 2; i++) pthread_create(&threads[i], 0, work, &results[i + 1]);
  for (int i = 0; i < 2; i++) pthread_join(threads[i], 0);
  work(&results[0]);
  for (int i = 0; i < 3; i++) show(&results[i]);
  return 0;
}

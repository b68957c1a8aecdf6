/* Constructor/destructor ordering. Constructors run in increasing priority
 * order, then the ones without priority; destructors run in the reverse
 * order. atexit handlers registered during initialization run before the
 * .fini_array destructors. */
#include <stdio.h>
#include <stdlib.h>

int trace[32];
int trace_len;

void record(int id) {
  if (trace_len < 32)
    trace[trace_len++] = id;
}

static void at_exit_first(void) { printf("atexit handler registered first\n"); }
static void at_exit_second(void) { printf("atexit handler registered second\n"); }

__attribute__((constructor(101))) static void ctor_101(void) {
  printf("constructor(101)\n");
  record(101);
  atexit(at_exit_first);
}

__attribute__((constructor(200))) static void ctor_200(void) {
  printf("constructor(200)\n");
  record(200);
}

__attribute__((constructor)) static void ctor_plain(void) {
  printf("constructor (no priority), main object\n");
  record(1);
  atexit(at_exit_second);
}

__attribute__((destructor(101))) static void dtor_101(void) {
  printf("destructor(101)\n");
}

__attribute__((destructor(200))) static void dtor_200(void) {
  printf("destructor(200)\n");
}

__attribute__((destructor)) static void dtor_plain(void) {
  printf("destructor (no priority), main object\n");
}

static void at_exit_main(void) { printf("atexit handler registered in main\n"); }

int main(void) {
  printf("main: trace =");
  int code = 0;
  for (int i = 0; i < trace_len; i++) {
    printf(" %d", trace[i]);
    code = code * 3 + trace[i];
  }
  printf("\n");
  atexit(at_exit_main);
  return code % 256;
}

/* A thread-local variable of a shared library (libstdc++'s std::__once_callable):
   the address the code computes is the one the loader gives this thread. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

extern __thread void *_ZSt15__once_callable;

int main(void) {
  void **mine = &_ZSt15__once_callable;
  void **loader = dlsym(RTLD_DEFAULT, "_ZSt15__once_callable");
  *mine = (void *)mine;
  printf("same address: %d, same value: %d\n", mine == loader, loader && *loader == (void *)mine);
  *mine = 0;
  return 0;
}

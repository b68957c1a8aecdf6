/*
 * Profiler support: one hot function, one cold one. Prints where each was
 * linked (so tests can compare the perf map and jitdump records), then spins
 * for argv[0] iterations (llvm-jitlink's -args: no program name).
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) unsigned long hot_spin(unsigned long n) {
  volatile unsigned long acc = 0;
  for (unsigned long i = 0; i < n; i++) acc += i ^ (acc >> 3);
  return acc;
}

__attribute__((noinline)) int cold_helper(int x) { return x * 2 + 1; }

int main(int argc, char **argv) {
  unsigned long n = argc > 0 ? strtoul(argv[0], NULL, 10) : 1000;
  printf("hot_spin %p\ncold_helper %p\nmain %p\n", (void *)hot_spin, (void *)cold_helper, (void *)main);
  printf("%lu %d\n", hot_spin(n), cold_helper(20));
  return 0;
}

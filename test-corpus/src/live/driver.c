/* Live re-linking: the part of the program that is not replaced. Each tick
   prints what the replaceable object (tick.c) computes, through a direct call,
   a function pointer taken before any replacement, and a pointer the object's
   own data holds; then reports a safe point. The host ends the loop by
   setting stop_requested; an exit handler says goodbye. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int compute(int x);
long bump(void);
extern long counter;
extern int (*op_table[1])(int);
void jitlink_safe_point(void);

volatile int stop_requested;
volatile long ticks;

static void goodbye(void) { printf("exit handlers ran after %ld ticks\n", ticks); }

int main(void) {
  int (*saved)(int) = compute;
  atexit(goodbye);
  while (!stop_requested && ticks < 100000) {
    long calls = bump();
    printf("tick %ld compute=%d saved=%d table=%d counter=%ld calls=%ld\n", ticks, compute(10), saved(10),
           op_table[0](10), counter, calls);
    fflush(stdout);
    ticks++;
    jitlink_safe_point();
    usleep(2000);
  }
  printf("stopped after %ld ticks\n", ticks);
  return 0;
}

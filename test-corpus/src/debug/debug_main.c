/* Debugger support: gdb breaks on jitted_leaf by name and names every JIT'd frame with file:line. */
#include <stdio.h>

int jitted_leaf(int x);

static int jitted_middle(int x) {
  int doubled = jitted_leaf(x + 2) * 2;
  return doubled;
}

int main(void) {
  printf("%d\n", jitted_middle(5));
  return 0;
}

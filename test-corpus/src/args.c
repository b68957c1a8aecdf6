/* Prints the argument count and every argument after the program name.
 * argv[0] is deliberately ignored: a natively run program gets its own path
 * there, and a JIT runner passes a program name of its choosing. The exit
 * code is computed from the argument lengths. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  unsigned total = 0;
  printf("argc-1=%d\n", argc - 1);
  for (int i = 1; i < argc; i++) {
    printf("argv[%d]=\"%s\"\n", i, argv[i]);
    total += (unsigned)strlen(argv[i]) * (unsigned)i;
  }
  printf("weighted length=%u\n", total);
  return (int)(total % 200) + 3;
}

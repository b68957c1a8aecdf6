/* Prints through the C library's printf and putchar with integer and string
   arguments. Declared here rather than through <stdio.h>: the MSVC target has
   no headers on this machine, and mingw's header routes printf to its own
   implementation instead of the C library's. */
int printf(const char *format, ...);
int putchar(int c);

static const char *words[] = {"alpha", "beta", "gamma"};

int main(void) {
  for (int i = 0; i < 3; i++) printf("%d: %s (%u)\n", i, words[i], (unsigned)(i * 7));
  putchar('o');
  putchar('k');
  putchar('\n');
  return 3;
}

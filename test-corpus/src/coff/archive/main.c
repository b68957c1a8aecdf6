/* Linked against an archive of COFF members (square.c, greet.c, unused.c):
   only the members that define what main needs are loaded. */
int printf(const char *format, ...);
int square(int x);
void greet(const char *who);

int main(void) {
  greet("archive");
  printf("square(12) = %d\n", square(12));
  return square(3);
}

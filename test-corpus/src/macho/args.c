/* Prints the arguments after the program name; the exit code comes from their lengths. */
int printf(const char *fmt, ...);
unsigned long strlen(const char *s);

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

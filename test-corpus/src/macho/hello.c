/* hello.c without system headers: MachO objects are built for macOS, whose headers are not here. */
int printf(const char *fmt, ...);

int main(void) {
  printf("hello, world!\n");
  return 0;
}

/* /alternatename:configured=configured_default: `configured`, if nothing
   defines it, is `configured_default`; alternate_strong.c defines it. */
int printf(const char *format, ...);

int configured(void);
int configured_default(void) { return 7; }
#pragma comment(linker, "/alternatename:configured=configured_default")

int main(void) {
  printf("configured() = %d\n", configured());
  return configured();
}

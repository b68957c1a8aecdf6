/* Weak externals: `fallback` has a weak default here, which weak_strong.c
   overrides; `optional` has none (its default is the absolute 0), so it is
   null unless something defines it. mingw gcc writes them with the search
   characteristic NOLIBRARY, clang with ALIAS. */
int printf(const char *format, ...);

__attribute__((weak)) int fallback(void) { return 1; }
extern __attribute__((weak)) int optional(void);

int main(void) {
  printf("fallback() = %d\n", fallback());
  printf("optional is %s\n", optional ? "defined" : "null");
  return fallback();
}

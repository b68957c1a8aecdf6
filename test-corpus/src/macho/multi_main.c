/* Several objects: globals across objects, private externs (hidden), weak
 * definitions and references, common symbols, and a large switch. */
int printf(const char *fmt, ...);

extern int counter;
extern const char *greeting;
int bump(int by);
int classify(int x);
int weak_value(void);
__attribute__((weak)) int optional_hook(void);
int shared_common;

int main(void) {
  for (int i = 1; i <= 4; i++) bump(i);
  printf("%s counter=%d\n", greeting, counter);
  for (int i = 0; i < 8; i++) printf("classify(%d)=%d\n", i, classify(i));
  printf("weak_value=%d\n", weak_value());
  printf("optional_hook %s\n", optional_hook ? "present" : "absent");
  shared_common = 5;
  printf("shared_common=%d\n", shared_common);
  return 0;
}

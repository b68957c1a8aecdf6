/* Static initializers (__mod_init_func), data pointers, string literals and a
 * function-pointer table. The initializers print, so that no compiler can
 * evaluate them ahead of time. */
int printf(const char *fmt, ...);

static int order[4];
static int count;
static const char *names[] = {"first", "second", "third"};

__attribute__((constructor)) static void init_first(void) {
  order[count++] = 1;
  printf("init_first\n");
}
__attribute__((constructor)) static void init_second(void) {
  order[count++] = 2;
  printf("init_second\n");
}

static int twice(int x) { return 2 * x; }
static int square(int x) { return x * x; }
int (*const table[])(int) = {twice, square};

int main(void) {
  printf("initializers ran: %d\n", count);
  for (int i = 0; i < count; i++) printf("order[%d]=%d (%s)\n", i, order[i], names[order[i] - 1]);
  for (int i = 0; i < 2; i++) printf("table[%d](7)=%d\n", i, table[i](7));
  return count == 2 ? 0 : 1;
}

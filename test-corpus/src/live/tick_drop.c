/* A version that drops compute, which the driver still calls: refused. */
long counter;
static long calls;

static int twice(int x) { return 2 * x; }

long bump(void) {
  counter++;
  return ++calls;
}

int (*op_table[1])(int) = {twice};

/* A version that changes the size of a kept global: refused. */
int counter;
static long calls;

int compute(int x) { return x * 4; }

long bump(void) {
  counter++;
  return ++calls;
}

int (*op_table[1])(int) = {compute};

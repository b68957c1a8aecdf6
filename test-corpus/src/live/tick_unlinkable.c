/* A version that does not link (it calls a function nothing defines): refused. */
long counter;
static long calls;
int jitlink_test_undefined_function(int);

int compute(int x) { return jitlink_test_undefined_function(x); }

long bump(void) {
  counter++;
  return ++calls;
}

int (*op_table[1])(int) = {compute};

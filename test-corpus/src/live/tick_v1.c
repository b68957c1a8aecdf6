/* Version 1 of the replaceable object. */
long counter;          /* global state: kept across versions */
static long calls;     /* static state: kept too (same layout) */

int compute(int x) { return x * 2; }

long bump(void) {
  counter++;
  return ++calls;
}

int (*op_table[1])(int) = {compute};

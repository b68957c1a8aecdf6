/* Version 2: compute changes; the data keeps its layout. */
long counter;          /* global state: kept across versions */
static long calls;     /* static state: kept too (same layout) */

int compute(int x) { return x * 3; }

long bump(void) {
  counter++;
  return ++calls;
}

int (*op_table[1])(int) = {compute};

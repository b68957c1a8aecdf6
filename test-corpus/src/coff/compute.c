/* Pure C with no library calls: loops, a jump-table switch, globals, function
   pointers and recursion. Run through the Microsoft x64 bridge, and natively. */
int counter = 7;
static int table[8] = {3, 1, 4, 1, 5, 9, 2, 6};
const char *names[] = {"zero", "one", "two"};

static int add(int a, int b) { return a + b; }
static int mul(int a, int b) { return a * b; }
static int sub(int a, int b) { return a - b; }
int (*const ops[3])(int, int) = {add, mul, sub};

int classify(int x) {
  switch (x) {
  case 0: return 11;
  case 1: return 23;
  case 2: return 37;
  case 3: return 41;
  case 4: return 53;
  case 5: return 67;
  case 6: return 71;
  default: return -1;
  }
}

int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

long long sum_table(void) {
  long long s = 0;
  for (int i = 0; i < 8; i++) s += table[i] * (i + 1);
  return s;
}

int apply(int which, int a, int b) { return ops[which % 3](a, b); }

int compute(int n) {
  int acc = counter;
  for (int i = 0; i < n; i++) acc += classify(i % 8);
  counter++;
  return acc + fib(10) + (int)sum_table() + apply(1, 6, 7) + names[2][1];
}

long long sum6(long long a, long long b, long long c, long long d, long long e, long long f) {
  return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}

#include "multi.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int call_count;

int op_add(int a, int b) { call_count++; return a + b; }
int op_sub(int a, int b) { call_count++; return a - b; }
int op_mul(int a, int b) { call_count++; return a * b; }
int op_xor(int a, int b) { call_count++; return a ^ b; }
int op_max(int a, int b) { call_count++; return a > b ? a : b; }

/* Dense switch: large enough for a jump table at -O2. */
const char *classify(int code) {
  switch (code) {
  case 0: return "zero";
  case 1: return "one";
  case 2: return "two";
  case 3: return "three";
  case 4: return "four";
  case 5: return "five";
  case 6: return "six";
  case 7: return "seven";
  case 8: return "eight";
  case 9: return "nine";
  case 10: return "ten";
  case 11: return "eleven";
  default: return "many";
  }
}

int opcode_eval(int opcode, int a, int b) {
  switch (opcode) {
  case 0: return a + b;
  case 1: return a - b;
  case 2: return a * b;
  case 3: return b ? a / b : 0;
  case 4: return b ? a % b : 0;
  case 5: return a & b;
  case 6: return a | b;
  case 7: return a ^ b;
  case 8: return a << (b & 7);
  case 9: return a >> (b & 7);
  case 10: return -a;
  case 11: return ~b;
  default: return 0;
  }
}

int sum_ints(int count, ...) {
  va_list ap;
  int total = 0;
  va_start(ap, count);
  for (int i = 0; i < count; i++)
    total += va_arg(ap, int);
  va_end(ap);
  return total;
}

int format_into(char *buf, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, len, fmt, ap);
  va_end(ap);
  return n;
}

void math_report(char *buf, size_t len, double x) {
  double s = sin(x);
  double r = sqrt(x * 10.0);
  double p = pow(x + 1.0, 2.5);
  snprintf(buf, len, "x=%.3f sin=%.6f sqrt=%.6f pow=%.6f", x, s, r, p);
}

int bump_counter(int by) {
  global_counter += by;
  return global_counter + call_count;
}

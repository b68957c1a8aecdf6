/* Functions called from JavaScript through @jitlink/executor's cFunction:
 * floating point, pointers, a struct by value, a variadic function, globals,
 * and a call out to an external function the host provides. */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

struct vec2 {
  double x;
  double y;
};

double counter = 1.5;
int32_t table[4] = {10, 20, 30, 40};

double mix(double a, int32_t b, const char *s) { return a * b + (double)strlen(s); }

float halve(float f) { return f / 2.0f; }

/* Writes n squares into out and returns their sum. */
int64_t squares(int64_t *out, int32_t n) {
  int64_t sum = 0;
  for (int32_t i = 0; i < n; i++) {
    out[i] = (int64_t)i * i;
    sum += out[i];
  }
  return sum;
}

struct vec2 scale(struct vec2 v, double k) {
  struct vec2 r = {v.x * k, v.y * k};
  return r;
}

double dot(struct vec2 a, struct vec2 b) { return a.x * b.x + a.y * b.y; }

/* Sums `count` variadic arguments: ints when kind is 'i', doubles when 'd'. */
double sum_va(char kind, int count, ...) {
  va_list ap;
  va_start(ap, count);
  double total = 0;
  for (int i = 0; i < count; i++) total += kind == 'i' ? va_arg(ap, int) : va_arg(ap, double);
  va_end(ap);
  return total;
}

double bump(double by) { return counter += by; }

/* Provided by the host: in the test, a JavaScript function. */
extern int32_t host_transform(int32_t value, const char *label);

int32_t apply_host(int32_t n) {
  int32_t total = 0;
  for (int32_t i = 1; i <= n; i++) total += host_transform(i, "step");
  return total;
}

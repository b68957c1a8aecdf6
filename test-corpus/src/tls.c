/* Thread-local storage: initialized and zero-initialized __thread data. */
#include <stdio.h>

__thread int tls_counter = 5;
__thread char tls_buf[64];
static __thread long tls_static = 1000;

static int bump(int by) {
  tls_counter += by;
  tls_static -= by;
  return tls_counter;
}

int main(void) {
  for (int i = 1; i <= 4; i++)
    bump(i);
  snprintf(tls_buf, sizeof tls_buf, "counter=%d static=%ld", tls_counter, tls_static);
  printf("%s\n", tls_buf);
  printf("tls_buf[63] = %d\n", tls_buf[63]);
  return tls_counter;
}

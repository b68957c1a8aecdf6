/* Large zero-initialized arrays (about 50 MiB of .bss / .lbss). */
#include <stdio.h>
#include <string.h>

#define BIG_A (32u << 20)
#define BIG_B (4u << 20)

static unsigned char big_a[BIG_A];
int big_b[BIG_B];
static double small_c[1000];
long long zero_tail[4096] = {0};

int main(void) {
  unsigned long nonzero = 0;
  for (unsigned i = 0; i < BIG_A; i += 4096)
    nonzero += big_a[i] != 0;
  for (unsigned i = 0; i < BIG_B; i += 1024)
    nonzero += big_b[i] != 0;
  for (unsigned i = 0; i < 4096; i++)
    nonzero += zero_tail[i] != 0;
  printf("nonzero bytes sampled before writes: %lu\n", nonzero);

  for (unsigned i = 0; i < BIG_A; i += 65536)
    big_a[i] = (unsigned char)(i >> 16);
  big_a[BIG_A - 1] = 0xAB;
  for (unsigned i = 0; i < BIG_B; i += 4096)
    big_b[i] = (int)(i / 4096);
  for (int i = 0; i < 1000; i++)
    small_c[i] = i * 0.5;
  memset(zero_tail, 0x11, sizeof zero_tail);

  unsigned long sum_a = 0, sum_b = 0;
  for (unsigned i = 0; i < BIG_A; i++)
    sum_a += big_a[i];
  for (unsigned i = 0; i < BIG_B; i++)
    sum_b += (unsigned long)big_b[i];
  double sum_c = 0;
  for (int i = 0; i < 1000; i++)
    sum_c += small_c[i];
  printf("sum_a = %lu\n", sum_a);
  printf("sum_b = %lu\n", sum_b);
  printf("sum_c = %.1f\n", sum_c);
  printf("zero_tail[4095] = %llx\n", zero_tail[4095]);
  printf("sizes: %zu %zu %zu %zu\n", sizeof big_a, sizeof big_b, sizeof small_c,
         sizeof zero_tail);
  return (int)((sum_a + sum_b) % 256);
}

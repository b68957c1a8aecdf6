/* Built with -fcommon: the uninitialized definitions below are COMMON
 * symbols. Each object declares counter_table with a different size; the
 * linker must allocate the largest (64 ints). */
#include <stdio.h>

int counter_table[16];
long common_total;
double common_scale;

void fill_low(void);
void fill_high(void);
int high_sum(void);

int main(void) {
  for (int i = 0; i < 16; i++)
    counter_table[i] = i + 1;
  fill_low();
  fill_high();
  common_scale = 1.5;
  long sum = 0;
  for (int i = 0; i < 16; i++)
    sum += counter_table[i];
  common_total += sum;
  printf("low part sum: %ld\n", sum);
  printf("high part sum: %d\n", high_sum());
  printf("common_total: %ld\n", common_total);
  printf("scaled: %.2f\n", common_total * common_scale);
  return (int)(common_total % 97);
}

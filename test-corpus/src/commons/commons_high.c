#include <stdio.h>

int counter_table[64];
double common_scale;

void fill_high(void) {
  for (int i = 32; i < 64; i++)
    counter_table[i] = i * 3;
}

int high_sum(void) {
  int s = 0;
  for (int i = 0; i < 64; i++)
    s += counter_table[i];
  if (common_scale != 1.5)
    printf("unexpected common_scale\n");
  return s;
}

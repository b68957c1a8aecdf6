int counter_table[32];
long common_total;

void fill_low(void) {
  for (int i = 16; i < 32; i++)
    counter_table[i] = i * 2;
  for (int i = 0; i < 32; i++)
    common_total += counter_table[i];
}

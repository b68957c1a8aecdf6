#include "multi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_ints(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int compare_names(const void *a, const void *b) {
  const char *const *x = a;
  const char *const *y = b;
  return strcmp(*x, *y);
}

/* Inputs kept volatile so the libm calls happen at run time. */
static volatile double math_inputs[] = {0.5, 1.25, 2.0};

int main(void) {
  char buf[160];
  unsigned acc = 0;

  printf("%s\n", describe_table());
  printf("table checksum: %d\n", table_checksum());

  for (size_t i = 0; i < 4; i++)
    printf("color_refs[%zu] -> %s\n", i, *color_refs[i]);
  for (size_t i = 0; i < name_slot_count; i++)
    printf("name_slots[%zu] -> %s\n", i, *name_slots[i]);

  for (size_t i = 0; i < op_count; i++) {
    int r = op_table[i].fn(17, 5);
    acc += (unsigned)(r * op_table[i].weight);
    printf("op %s(17, 5) = %d\n", op_table[i].name, r);
  }

  binop_fn chosen = (acc & 1) ? op_mul : op_add;
  printf("chosen(6, 7) = %d\n", chosen(6, 7));

  for (int code = -1; code <= 13; code += 2)
    printf("classify(%d) = %s\n", code, classify(code));
  for (int opc = 0; opc < 13; opc++) {
    int r = opcode_eval(opc, 29, 3);
    acc = acc * 7 + (unsigned)r;
    printf("opcode_eval(%d, 29, 3) = %d\n", opc, r);
  }

  int total = sum_ints(6, 1, 2, 3, 4, 5, 6);
  printf("sum_ints = %d\n", total);
  format_into(buf, sizeof buf, "%s|%5d|%-6s|%x|%c", "fmt", total, "pad", 48879, 'Z');
  printf("format_into: [%s]\n", buf);

  qsort(sample_values, sample_count, sizeof sample_values[0], compare_ints);
  printf("sorted:");
  for (size_t i = 0; i < sample_count; i++)
    printf(" %d", sample_values[i]);
  printf("\n");

  const char *names[8];
  memcpy(names, color_names, sizeof names);
  qsort(names, 8, sizeof names[0], compare_names);
  printf("sorted names:");
  for (int i = 0; i < 8; i++)
    printf(" %s", names[i]);
  printf("\n");

  for (size_t i = 0; i < sizeof math_inputs / sizeof math_inputs[0]; i++) {
    math_report(buf, sizeof buf, math_inputs[i]);
    printf("%s\n", buf);
  }

  int counter = bump_counter(5);
  printf("counter = %d\n", counter);
  acc += (unsigned)counter;
  printf("acc = %u\n", acc);
  return (int)(acc % 251);
}

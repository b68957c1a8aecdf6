#include "multi.h"

/* String table (array of pointers to string literals). */
const char *const color_names[] = {
    "red", "green", "blue", "cyan", "magenta", "yellow", "black", "white",
};

/* Pointers to pointers in read-only data. */
const char *const *const color_refs[] = {
    &color_names[7], &color_names[0], &color_names[3], &color_names[5],
};

/* Writable string slots: a pointer-to-pointer table in .data. */
static const char *slot_a = "alpha";
static const char *slot_b = "beta";
static const char *slot_c = "gamma";
const char *slot_d = "delta";
const char **name_slots[] = {&slot_c, &slot_a, &slot_d, &slot_b, &slot_a};
const size_t name_slot_count = sizeof name_slots / sizeof name_slots[0];

/* Constant data referencing functions defined in another object. */
const struct op_entry op_table[] = {
    {"add", op_add, 3}, {"sub", op_sub, 5}, {"mul", op_mul, 7},
    {"xor", op_xor, 11}, {"max", op_max, 13},
};
const size_t op_count = sizeof op_table / sizeof op_table[0];

int global_counter = 100;
int sample_values[] = {42, -7, 19, 3, 88, 0, -31, 56, 12, 7, 64, -2};
const size_t sample_count = sizeof sample_values / sizeof sample_values[0];

static char description[64] = "tables: static buffer";
static int checksum_cache;

const char *describe_table(void) { return description; }

int table_checksum(void) {
  if (checksum_cache == 0) {
    int sum = 0;
    for (size_t i = 0; i < sizeof color_names / sizeof color_names[0]; i++)
      for (const char *p = color_names[i]; *p; p++)
        sum = sum * 31 + *p;
    checksum_cache = sum & 0x7fffffff;
  }
  return checksum_cache;
}

#ifndef MULTI_H
#define MULTI_H

#include <stddef.h>

typedef int (*binop_fn)(int, int);

struct op_entry {
  const char *name;
  binop_fn fn;
  int weight;
};

/* tables.c */
extern const char *const color_names[];
extern const char *const *const color_refs[];
extern const char **name_slots[];
extern const size_t name_slot_count;
extern const struct op_entry op_table[];
extern const size_t op_count;
extern int global_counter;
extern int sample_values[];
extern const size_t sample_count;
const char *describe_table(void);
int table_checksum(void);

/* ops.c */
int op_add(int a, int b);
int op_sub(int a, int b);
int op_mul(int a, int b);
int op_xor(int a, int b);
int op_max(int a, int b);
const char *classify(int code);
int opcode_eval(int opcode, int a, int b);
int sum_ints(int count, ...);
int format_into(char *buf, size_t len, const char *fmt, ...);
void math_report(char *buf, size_t len, double x);
int bump_counter(int by);

#endif

#include <stdio.h>

int get_value(void);
int get_default_only(void);
int defaults_probe(void);
extern int config_level;
extern const char *weak_label;

/* Weak undefined references: nothing defines these. */
extern void optional_hook(void) __attribute__((weak));
extern int optional_data __attribute__((weak));

int main(void) {
  int code = 0;
  printf("get_value() = %d\n", get_value());
  printf("get_default_only() = %d\n", get_default_only());
  printf("config_level = %d\n", config_level);
  printf("weak_label = %s\n", weak_label);
  printf("defaults_probe() = %d\n", defaults_probe());
  if (optional_hook) {
    printf("optional_hook present\n");
    optional_hook();
  } else {
    printf("optional_hook absent\n");
    code += 10;
  }
  if (&optional_data) {
    printf("optional_data present\n");
  } else {
    printf("optional_data absent\n");
    code += 20;
  }
  return code + get_value() + config_level;
}

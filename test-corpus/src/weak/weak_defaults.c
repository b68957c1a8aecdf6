/* Weak default definitions. get_value and config_level are overridden by
 * strong definitions in weak_strong.c; get_default_only and weak_label are
 * not. */
__attribute__((weak)) int get_value(void) { return 1; }
__attribute__((weak)) int get_default_only(void) { return 5; }
__attribute__((weak)) int config_level = 1;
__attribute__((weak)) const char *weak_label = "default label";

int defaults_probe(void) { return get_value() * 100 + config_level; }

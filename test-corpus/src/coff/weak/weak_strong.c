/* Overrides weak_main.c's weak `fallback` and defines its `optional`. */
int fallback(void) { return 2; }
int optional(void) { return 3; }

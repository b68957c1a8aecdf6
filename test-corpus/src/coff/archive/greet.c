/* An archive member main.c needs; it calls the C library itself. */
int printf(const char *format, ...);
void greet(const char *who) { printf("hello from %s\n", who); }

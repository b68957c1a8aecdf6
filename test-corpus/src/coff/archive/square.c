/* An archive member main.c needs. */
int square(int x) { return x * x; }

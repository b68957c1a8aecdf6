/* Called from debug_main.c, in another object. */
int jitted_leaf(int x) {
  int tripled = x * 3;
  return tripled + 1;
}

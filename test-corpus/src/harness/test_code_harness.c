#include <stdio.h>

void function_to_test(void);

int function_to_mock(int X) {
  (void)X;
  printf("used mock utility function\n");
  return 42;
}

int main(int argc, char *argv[]) {
  (void)argc;
  (void)argv;
  function_to_test();
  return 0;
}

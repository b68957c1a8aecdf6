/* Harness-mode example: the test harness (test_code_harness.c) calls the
 * static function_to_test and replaces function_to_mock; irrelevant_function
 * references a symbol that is defined nowhere and must be dead-stripped. */
#include <stdio.h>

void irrelevant_external(void);

void irrelevant_function(void) { irrelevant_external(); }

__attribute__((noinline)) int function_to_mock(int X) { return X + 1; }

__attribute__((noinline, used)) static void function_to_test(void) {
  int Y = function_to_mock(3);
  printf("Y is %i\n", Y);
}

#include <stdio.h>

void record(int id);

__attribute__((constructor(150))) static void extra_ctor_150(void) {
  printf("constructor(150), extra object\n");
  record(150);
}

__attribute__((constructor)) static void extra_ctor_plain(void) {
  printf("constructor (no priority), extra object\n");
  record(2);
}

__attribute__((destructor(150))) static void extra_dtor_150(void) {
  printf("destructor(150), extra object\n");
}

__attribute__((destructor)) static void extra_dtor_plain(void) {
  printf("destructor (no priority), extra object\n");
}

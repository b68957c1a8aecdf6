/* COFF initializers, with init_b.c: the C library runs .CRT$XI* (C
   initializers) and then .CRT$XC* (C++ and constructor functions), each in
   the name order of their sections, objects in link order within a name; at
   exit .CRT$XP* and .CRT$XT* (clang puts destructor functions into .CRT$XTX;
   mingw gcc puts constructors and destructors into .ctors and .dtors). */
int printf(const char *format, ...);

static int a_xiu(void) { printf("a: .CRT$XIU\n"); return 0; }
static void a_xcu(void) { printf("a: .CRT$XCU\n"); }
__attribute__((constructor)) static void a_constructor(void) { printf("a: constructor\n"); }
__attribute__((destructor)) static void a_destructor(void) { printf("a: destructor\n"); }

__attribute__((section(".CRT$XIU"), used)) static int (*const a_xiu_entry)(void) = a_xiu;
__attribute__((section(".CRT$XCU"), used)) static void (*const a_xcu_entry)(void) = a_xcu;

int main(void) {
  printf("main\n");
  return 0;
}

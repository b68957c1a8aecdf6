/* The second object of init_a.c's program: its .CRT$XIB and .CRT$XCB entries
   run before init_a.c's, which come first in link order but later by name;
   its .CRT$XTB entry runs at exit before init_a.c's destructor. */
int printf(const char *format, ...);

static int b_xib(void) { printf("b: .CRT$XIB\n"); return 0; }
static void b_xcb(void) { printf("b: .CRT$XCB\n"); }
static void b_xcu(void) { printf("b: .CRT$XCU\n"); }
static void b_xtb(void) { printf("b: .CRT$XTB\n"); }

__attribute__((section(".CRT$XIB"), used)) static int (*const b_xib_entry)(void) = b_xib;
__attribute__((section(".CRT$XCB"), used)) static void (*const b_xcb_entry)(void) = b_xcb;
__attribute__((section(".CRT$XCU"), used)) static void (*const b_xcu_entry)(void) = b_xcu;
__attribute__((section(".CRT$XTB"), used)) static void (*const b_xtb_entry)(void) = b_xtb;

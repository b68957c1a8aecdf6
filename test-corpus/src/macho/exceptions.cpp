// C++ exceptions across frames: thrown through a recursion and caught by
// reference, and a thrown int. Built with -femit-dwarf-unwind=always: every
// function gets a DWARF FDE in __eh_frame (registered with the host's
// unwinder), not only a compact-unwind entry, which a Linux unwinder cannot read.
extern "C" int printf(const char *fmt, ...);
struct Error { int code; };
static int depth(int n) {
  if (n == 0) throw Error{42};
  return depth(n - 1) + 1;
}
int main() {
  try {
    depth(3);
  } catch (const Error &e) {
    printf("caught %d\n", e.code);
  }
  try {
    throw 7;
  } catch (int v) {
    printf("caught int %d\n", v);
  }
  return 0;
}

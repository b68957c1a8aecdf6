// C++ without the standard library's headers: classes with virtual
// functions (and the C++ ABI's type-info vtables), a static object whose
// constructor prints and whose destructor runs at exit (__cxa_atexit with
// __dso_handle), operator new and sized delete. Built with -fno-exceptions:
// MachO unwind information is not registered yet.
extern "C" int printf(const char *fmt, ...);

namespace shapes {
struct Shape {
  virtual ~Shape() {}
  virtual int area() const = 0;
  virtual const char *name() const = 0;
};
struct Square : Shape {
  int side;
  explicit Square(int s) : side(s) {}
  int area() const override { return side * side; }
  const char *name() const override { return "square"; }
};
struct Rect : Shape {
  int w, h;
  Rect(int w, int h) : w(w), h(h) {}
  int area() const override { return w * h; }
  const char *name() const override { return "rect"; }
};

struct Registry {
  int created = 0;
  Registry() { printf("registry constructed\n"); }
  ~Registry() { printf("registry destroyed after %d shapes\n", created); }
};
Registry registry;

Shape *make(int i) {
  registry.created++;
  if (i % 2 == 0) return new Square(i + 1);
  return new Rect(i + 1, i + 2);
}
} // namespace shapes

int main() {
  int total = 0;
  for (int i = 0; i < 4; i++) {
    shapes::Shape *s = shapes::make(i);
    printf("%s %d\n", s->name(), s->area());
    total += s->area();
    delete s;
  }
  printf("total %d\n", total);
  return 0;
}

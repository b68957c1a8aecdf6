#ifndef CXX_COMMON_HPP
#define CXX_COMMON_HPP

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

// registry.cpp
struct Tracer {
  explicit Tracer(const char *name);
  ~Tracer();
  const char *name;
};
void registry_note(const std::string &what);
std::vector<std::string> registry_snapshot();
int next_ticket();

// shapes.cpp
class Shape {
public:
  virtual ~Shape();
  virtual double area() const = 0;
  virtual std::string name() const = 0;
  virtual int sides() const { return 0; }
};
std::unique_ptr<Shape> make_shape(int kind, double size);
double total_area(const std::vector<std::unique_ptr<Shape>> &shapes);

// errors.cpp
class AppError : public std::runtime_error {
public:
  AppError(const std::string &msg, int code);
  ~AppError() override;
  int code() const { return code_; }

private:
  int code_;
};
int risky_operation(int input);
int element_at(const std::vector<int> &values, std::size_t index);

// Templates instantiated in several objects (COMDAT groups).
template <typename T> struct Stats {
  T sum{};
  T max{};
  std::size_t count = 0;
  void add(const T &v) {
    sum = sum + v;
    if (count == 0 || max < v)
      max = v;
    ++count;
  }
};

template <typename T> T sum_of_squares(const std::vector<T> &values) {
  T total{};
  for (const T &v : values)
    total = total + v * v;
  return total;
}

// Inline function with a function-local static (weak, guarded).
inline int &shared_counter() {
  static int counter = 1000;
  return counter;
}

#endif

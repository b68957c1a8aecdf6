#include "common.hpp"

#include <cstdio>

static Tracer shapes_tracer("shapes.cpp");

Shape::~Shape() {}

namespace {
class Circle : public Shape {
public:
  explicit Circle(double r) : r_(r) {}
  double area() const override { return 3.14159265358979 * r_ * r_; }
  std::string name() const override { return "circle"; }

private:
  double r_;
};

class Square : public Shape {
public:
  explicit Square(double s) : s_(s) {}
  double area() const override { return s_ * s_; }
  std::string name() const override { return "square"; }
  int sides() const override { return 4; }

protected:
  double s_;
};

class Cube : public Square {
public:
  explicit Cube(double s) : Square(s) {}
  double area() const override { return 6 * Square::area(); }
  std::string name() const override { return "cube(" + Square::name() + ")"; }
  int sides() const override { return 6; }
};
} // namespace

std::unique_ptr<Shape> make_shape(int kind, double size) {
  shared_counter() += 1;
  switch (kind) {
  case 0:
    return std::unique_ptr<Shape>(new Circle(size));
  case 1:
    return std::unique_ptr<Shape>(new Square(size));
  default:
    return std::unique_ptr<Shape>(new Cube(size));
  }
}

double total_area(const std::vector<std::unique_ptr<Shape>> &shapes) {
  Stats<double> st;
  std::vector<int> sides;
  for (const auto &s : shapes) {
    st.add(s->area());
    sides.push_back(s->sides());
  }
  std::printf("shapes.cpp: max area %.3f, sum_of_squares(sides) = %d\n", st.max,
              sum_of_squares(sides));
  Stats<int> si;
  for (int v : sides)
    si.add(v);
  std::printf("shapes.cpp: Stats<int> sum=%d\n", si.sum);
  return st.sum;
}

#include "common.hpp"

#include <cstdio>
#include <iostream>
#include <map>

static Tracer main_tracer("main.cpp");

int main() {
  std::printf("main: start\n");
  std::cout << "iostream works: " << 42 << ' ' << 2.5 << std::endl;

  // Virtual calls across objects.
  std::vector<std::unique_ptr<Shape>> shapes;
  for (int kind = 0; kind < 3; ++kind)
    shapes.push_back(make_shape(kind, 2.0 + kind));
  for (const auto &s : shapes)
    std::printf("shape %s sides=%d area=%.3f\n", s->name().c_str(), s->sides(), s->area());
  std::printf("total area %.3f\n", total_area(shapes));

  // Exceptions thrown in errors.cpp and caught here.
  int code = 0;
  for (int input : {3, -4, 10}) {
    try {
      int r = risky_operation(input);
      std::printf("risky_operation(%d) = %d\n", input, r);
      code += r;
    } catch (const AppError &e) {
      std::printf("caught AppError: %s (code %d)\n", e.what(), e.code());
      code += e.code();
    }
  }
  std::vector<int> values{5, 8, 13};
  try {
    std::printf("element_at(1) = %d\n", element_at(values, 1));
    std::printf("element_at(7) = %d\n", element_at(values, 7));
  } catch (const std::out_of_range &e) {
    std::printf("caught std::out_of_range\n");
    code += 3;
  }
  try {
    try {
      risky_operation(-1);
    } catch (const std::runtime_error &e) {
      std::printf("rethrowing runtime_error: %s\n", e.what());
      throw;
    }
  } catch (const std::exception &e) {
    std::printf("caught std::exception after rethrow: %s\n", e.what());
    code += 1;
  }

  // std::map and std::string.
  std::map<std::string, int> words;
  const char *text[] = {"pear", "apple", "fig", "apple", "pear", "apple"};
  for (const char *w : text)
    ++words[w];
  for (const auto &kv : words)
    std::cout << kv.first << '=' << kv.second << '\n';

  // Template instantiations shared with shapes.cpp.
  Stats<int> si;
  for (int v : values)
    si.add(v);
  Stats<double> sd;
  sd.add(1.5);
  sd.add(0.25);
  std::printf("Stats<int>: sum=%d max=%d count=%zu\n", si.sum, si.max, si.count);
  std::printf("Stats<double>: sum=%.2f max=%.2f\n", sd.sum, sd.max);
  std::printf("sum_of_squares<int> = %d\n", sum_of_squares(values));

  shared_counter() += 5;
  std::printf("shared_counter = %d\n", shared_counter());
  int t1 = next_ticket();
  int t2 = next_ticket();
  std::printf("tickets: %d %d\n", t1, t2);

  registry_note("main done");
  for (const std::string &entry : registry_snapshot())
    std::cout << "registry: " << entry << '\n';
  std::cout << "exit code " << code % 200 << std::endl;
  return code % 200;
}

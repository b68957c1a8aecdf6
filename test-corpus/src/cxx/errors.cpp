#include "common.hpp"

#include <cstdio>

static Tracer errors_tracer("errors.cpp");

AppError::AppError(const std::string &msg, int code)
    : std::runtime_error(msg), code_(code) {}
AppError::~AppError() {}

int risky_operation(int input) {
  if (input < 0)
    throw AppError("negative input " + std::to_string(input), -input * 10);
  registry_note("risky ok " + std::to_string(input));
  return input * input;
}

int element_at(const std::vector<int> &values, std::size_t index) {
  return values.at(index);
}

#include "common.hpp"

#include <cstdio>

namespace {
class Registry {
public:
  Registry() { std::printf("Registry constructed\n"); }
  ~Registry() {
    std::printf("Registry destroyed with %zu entries\n", entries_.size());
  }
  void add(const std::string &s) { entries_.push_back(s); }
  const std::vector<std::string> &entries() const { return entries_; }

private:
  std::vector<std::string> entries_;
};

Registry &registry() {
  static Registry instance; // function-local static with a destructor
  return instance;
}
} // namespace

static Tracer registry_tracer("registry.cpp");

Tracer::Tracer(const char *n) : name(n) {
  std::printf("global constructor: %s\n", name);
  registry().add(std::string("ctor ") + name);
}

Tracer::~Tracer() { std::printf("global destructor: %s\n", name); }

void registry_note(const std::string &what) { registry().add(what); }

std::vector<std::string> registry_snapshot() { return registry().entries(); }

int next_ticket() {
  static int ticket = shared_counter(); // dynamic initialization, guarded
  return ticket++;
}

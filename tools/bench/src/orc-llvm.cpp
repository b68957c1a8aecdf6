// LLVM 19's ORC on the orc-1000 objects, measured as orc-throughput.mjs
// measures jitlink: an LLJIT whose object layer is an ObjectLinkingLayer
// (JITLink, in-process memory, .eh_frame registration, lookups dispatched in
// place), the objects added to its main JITDylib one by one, each followed by
// a lookup of its function (which links it). Prints one line of JSON: the
// loop's time, links per second and the lookups' latency percentiles.
//
// Built by the bench (clang++-19 and llvm-config-19 from llvm-19-dev):
//   clang++-19 -O2 orc-llvm.cpp $(llvm-config-19 --cxxflags --ldflags --libs) -o orc-llvm
// Usage: orc-llvm <directory of orc0000.o ...> <object count>
#include "llvm/ExecutionEngine/JITLink/JITLinkMemoryManager.h"
#include "llvm/ExecutionEngine/Orc/EPCEHFrameRegistrar.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace llvm;
using namespace llvm::orc;

static std::string pad4(unsigned i) {
  char text[8];
  std::snprintf(text, sizeof text, "%04u", i);
  return text;
}

static double percentile(std::vector<double> sorted, double p) {
  std::sort(sorted.begin(), sorted.end());
  size_t rank = static_cast<size_t>(p / 100.0 * sorted.size());
  return sorted[std::min(rank, sorted.size() - 1)];
}

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <objects directory> <count>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const unsigned count = static_cast<unsigned>(std::stoul(argv[2]));
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();
  ExitOnError check;

  // Objects are read before timing, as orc-throughput.mjs reads them.
  std::vector<std::unique_ptr<MemoryBuffer>> objects;
  for (unsigned i = 0; i < count; i++) {
    objects.push_back(check(errorOrToExpected(MemoryBuffer::getFile(dir + "/orc" + pad4(i) + ".o"))));
  }

  auto jit = check(
      LLJITBuilder()
          .setObjectLinkingLayerCreator([](ExecutionSession &es, const Triple &) -> Expected<std::unique_ptr<ObjectLayer>> {
            auto memory = jitlink::InProcessMemoryManager::Create();
            if (!memory) return memory.takeError();
            auto layer = std::make_unique<ObjectLinkingLayer>(es, std::move(*memory));
            auto registrar = EPCEHFrameRegistrar::Create(es);
            if (!registrar) return registrar.takeError();
            layer->addPlugin(std::make_unique<EHFrameRegistrationPlugin>(es, std::move(*registrar)));
            return std::move(layer);
          })
          .create());

  std::vector<double> latencies;
  latencies.reserve(count);
  ExecutorAddr last;
  auto start = std::chrono::steady_clock::now();
  for (unsigned i = 0; i < count; i++) {
    check(jit->addObjectFile(std::move(objects[i])));
    auto t0 = std::chrono::steady_clock::now();
    last = check(jit->lookup("orc_f_" + pad4(i)));
    latencies.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  // The chain computes x + n*n for the last index n, as orcExpected in generate.mjs.
  int result = last.toPtr<int (*)(int)>()(1);
  std::printf(
      "{\"objects\":%u,\"elapsedMs\":%.3f,\"linksPerSecond\":%.1f,\"lookupMs\":{\"p50\":%.4f,\"p99\":%.4f,\"max\":%.4f},"
      "\"result\":%d}\n",
      count, elapsed, count * 1000.0 / elapsed, percentile(latencies, 50), percentile(latencies, 99),
      *std::max_element(latencies.begin(), latencies.end()), result);
  return 0;
}

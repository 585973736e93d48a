// bench_contended ITERATIONS: 4 threads increment one counter under one std::mutex, ITERATIONS
// increments in all; an op is one lock+increment+unlock. On 2 cores the lock is handed over
// between running threads, so this is the path where a lock call blocks and wakes.
#include <mutex>

#include "bench_harness.h"

namespace {

std::mutex counter_mutex;
unsigned long long counter;

void increment(unsigned, unsigned long long iterations) {
  for (unsigned long long i = 0; i < iterations; ++i) {
    std::lock_guard<std::mutex> guard(counter_mutex);
    ++counter;
  }
}

void run(unsigned long long iterations) {
  bench_run_threads(4, iterations, increment);
  if (counter != iterations) {
    __builtin_trap();  // a lost increment: the lock did not exclude
  }
}

}  // namespace

int main(int argc, char **argv) {
  static const bench_workload workload = {"contended", 1, run, nullptr, 0, nullptr};
  return bench_main(argc, argv, &workload);
}

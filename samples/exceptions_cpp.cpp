// exceptions_cpp: C++ exceptions unwinding through frames that hold locks; lockwatch must report
// nothing. lockwatch carries its own LLVM libunwind with hidden symbols, and this program proves
// the program's own unwinder still works under the preload: 4 threads throw, catch, rethrow and
// nest exceptions from frames holding std::lock_guard (released by unwinding), and hand their
// results to main as std::exception_ptr through std::promise/std::future. Deterministic output.
#include <array>
#include <exception>
#include <future>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {
constexpr int kThreads = 4;
constexpr int kRounds = 3000;
constexpr int kLevels = 4;

std::array<std::mutex, kLevels> level_mutexes;  // always taken in increasing level order
std::array<long, kLevels> level_visits{};       // level_visits[i] is guarded by level_mutexes[i]

struct DeepFailure : std::runtime_error {
  explicit DeepFailure(int level) : std::runtime_error("failure at level " + std::to_string(level)) {}
};

struct Escalated : std::logic_error {
  explicit Escalated(int level) : std::logic_error("escalated at level " + std::to_string(level)) {}
};

// The last exception of each worker: carries its count to main through a std::promise.
struct WorkerResult {
  long caught;
};
}  // namespace

// Descends to `depth` holding the mutex of every level on the way and throws at the bottom. On
// the way up, odd levels rethrow a DeepFailure as is and even levels replace it with Escalated.
void descend_and_throw(int level, int depth) {
  std::lock_guard hold(level_mutexes[level]);
  ++level_visits[level];
  if (level == depth) throw DeepFailure(level);
  try {
    descend_and_throw(level + 1, depth);
  } catch (const DeepFailure&) {
    if (level % 2 == 1) throw;
    throw Escalated(level);
  }
}

long throw_and_catch_rounds(int thread_index) {
  long caught = 0;
  for (int round = 0; round < kRounds; ++round) {
    try {
      descend_and_throw(0, (round + thread_index) % kLevels);
    } catch (const Escalated&) {
      ++caught;
    } catch (const DeepFailure&) {
      ++caught;
      // A second exception thrown and caught inside a handler, then replayed from an exception_ptr.
      try {
        std::lock_guard hold(level_mutexes[0]);
        ++level_visits[0];
        throw std::out_of_range("nested");
      } catch (const std::out_of_range&) {
        ++caught;
        std::exception_ptr saved = std::current_exception();
        try {
          std::rethrow_exception(saved);
        } catch (const std::exception&) {
          ++caught;
        }
      }
    }
  }
  return caught;
}

void worker(int thread_index, std::promise<void> result) {
  try {
    throw WorkerResult{throw_and_catch_rounds(thread_index)};
  } catch (...) {
    result.set_exception(std::current_exception());
  }
}

int main() {
  std::vector<std::future<void>> results;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    std::promise<void> result;
    results.push_back(result.get_future());
    threads.emplace_back(worker, t, std::move(result));
  }
  long caught = 0;
  for (std::future<void>& result : results) {
    try {
      result.get();
      std::cerr << "exceptions_cpp: a worker returned without its result\n";
      return 1;
    } catch (const WorkerResult& worker_result) {
      caught += worker_result.caught;
    }
  }
  for (std::thread& thread : threads) thread.join();
  long visits = 0;
  for (long level_visit_count : level_visits) visits += level_visit_count;
  std::cout << "exceptions_cpp: " << kThreads << " threads caught " << caught << " exceptions, " << visits
            << " guarded visits\n";
  return 0;
}

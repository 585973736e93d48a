// clean_recursive_mutex_cpp: std::recursive_mutex used correctly; lockwatch must report nothing.
// 4 threads each descend 3 levels, locking the recursive mutex at every level. At level 1 a
// thread also takes a plain std::mutex and, still holding it, re-enters the recursive mutex it
// already owns: that re-entry cannot wait, so it is no edge plain -> recursive and no cycle with
// the recursive -> plain order. Fixed output. Exits 0.
#include <array>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

namespace {
constexpr int kThreads = 4;
constexpr int kDepth = 3;
constexpr int kRounds = 5000;

std::recursive_mutex tree_lock;
std::mutex tally_lock;
std::array<long, kDepth> visits{};  // guarded by tree_lock
long tallies = 0;                   // guarded by tally_lock
}  // namespace

void descend(int depth) {
  std::lock_guard hold_tree(tree_lock);
  ++visits[depth - 1];
  if (depth == kDepth) return;
  if (depth == 1) {
    std::lock_guard hold_tally(tally_lock);
    ++tallies;
    descend(depth + 1);
  } else {
    descend(depth + 1);
  }
}

void descend_repeatedly() {
  for (int round = 0; round < kRounds; ++round) descend(1);
}

int main() {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(descend_repeatedly);
  for (std::thread& thread : threads) thread.join();
  std::cout << "clean_recursive_mutex_cpp: visits " << visits[0] << '/' << visits[1] << '/' << visits[2] << ", "
            << tallies << " tallies\n";
  return 0;
}

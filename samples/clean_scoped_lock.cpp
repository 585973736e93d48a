// clean_scoped_lock: two threads take the same two std::mutex in opposite orders at the same time,
// each through std::scoped_lock; lockwatch must report nothing. std::lock blocks only on the first
// mutex and try-locks the other, backing off and starting over from the busy one, so it never
// waits while holding a lock: no lock-order edge, no inversion. Fixed output. Exits 0.
#include <iostream>
#include <mutex>
#include <thread>

namespace {
constexpr int kRounds = 20000;
std::mutex lock_a;
std::mutex lock_b;
long guarded_by_both = 0;
}  // namespace

void scoped_lock_a_and_b() {
  for (int round = 0; round < kRounds; ++round) {
    std::scoped_lock both(lock_a, lock_b);
    ++guarded_by_both;
  }
}

void scoped_lock_b_and_a() {
  for (int round = 0; round < kRounds; ++round) {
    std::scoped_lock both(lock_b, lock_a);
    ++guarded_by_both;
  }
}

int main() {
  std::thread forward(scoped_lock_a_and_b);
  std::thread backward(scoped_lock_b_and_a);
  forward.join();
  backward.join();
  std::cout << "clean_scoped_lock: " << guarded_by_both << " critical sections\n";
  return 0;
}

// cover_shared_mutex_abba: the abba inversion with exclusive locks of two std::shared_mutex.
// One thread locks A then B and finishes; only then does a second lock B then A, so this run
// never deadlocks. lockwatch must report exactly one lock_order_inversion (a 2-lock cycle of
// rwlocks, write acquisitions) whose stacks name lock_a_then_b and lock_b_then_a. Natively:
// prints, exits 0.
#include <iostream>
#include <mutex>
#include <shared_mutex>
#include <thread>

namespace {
std::shared_mutex lock_a;
std::shared_mutex lock_b;
int guarded_by_both = 0;
}  // namespace

void lock_a_then_b() {
  std::unique_lock hold_a(lock_a);
  std::unique_lock hold_b(lock_b);
  ++guarded_by_both;
}

void lock_b_then_a() {
  std::unique_lock hold_b(lock_b);
  std::unique_lock hold_a(lock_a);
  ++guarded_by_both;
}

int main() {
  // Each thread is joined before the next starts: the two lock orders never overlap in time.
  std::thread(lock_a_then_b).join();
  std::thread(lock_b_then_a).join();
  std::cout << "cover_shared_mutex_abba: " << guarded_by_both << " critical sections\n";
  return 0;
}

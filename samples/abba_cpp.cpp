// abba_cpp: the abba inversion with std::mutex, std::lock_guard and std::thread.
// One thread takes A then B and finishes; only then does a second take B then A, so this run never
// deadlocks. lockwatch must report exactly one lock_order_inversion (a 2-lock cycle) whose stacks
// name lock_a_then_b and lock_b_then_a. Natively: prints, exits 0.
#include <iostream>
#include <mutex>
#include <thread>

namespace {
std::mutex lock_a;
std::mutex lock_b;
int guarded_by_both = 0;
}  // namespace

void lock_a_then_b() {
  std::lock_guard hold_a(lock_a);
  std::lock_guard hold_b(lock_b);
  ++guarded_by_both;
}

void lock_b_then_a() {
  std::lock_guard hold_b(lock_b);
  std::lock_guard hold_a(lock_a);
  ++guarded_by_both;
}

int main() {
  // Each thread is joined before the next starts: the two lock orders never overlap in time.
  std::thread(lock_a_then_b).join();
  std::thread(lock_b_then_a).join();
  std::cout << "abba_cpp: " << guarded_by_both << " critical sections\n";
  return 0;
}

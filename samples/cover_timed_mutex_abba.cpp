// cover_timed_mutex_abba: the abba inversion with std::timed_mutex (lock() for both orders), after
// an uncontended try_lock_for that must pass through lockwatch unharmed. One thread takes A then B
// and finishes; only then does a second take B then A, so this run never deadlocks. lockwatch must
// report exactly one lock_order_inversion (a 2-lock cycle of mutexes) whose stacks name
// lock_a_then_b and lock_b_then_a. Natively: prints, exits 0.
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>

namespace {
std::timed_mutex lock_a;
std::timed_mutex lock_b;
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
  if (lock_a.try_lock_for(std::chrono::milliseconds(100))) {
    ++guarded_by_both;
    lock_a.unlock();
  }
  // Each thread is joined before the next starts: the two lock orders never overlap in time.
  std::thread(lock_a_then_b).join();
  std::thread(lock_b_then_a).join();
  std::cout << "cover_timed_mutex_abba: " << guarded_by_both << " critical sections\n";
  return 0;
}

// dining_philosophers_cpp: the dining philosophers with std::mutex forks and std::thread.
// Philosopher i holds fork i while taking fork (i+1)%5: one 5-lock cycle in the lock order. They
// eat one after another, so this run never deadlocks. lockwatch must report exactly one
// lock_order_inversion whose cycle has 5 edges. Natively: prints, exits 0.
#include <array>
#include <cstddef>
#include <iostream>
#include <mutex>
#include <thread>

namespace {
constexpr std::size_t kPhilosophers = 5;
std::array<std::mutex, kPhilosophers> forks;
int meals_eaten = 0;  // only touched while holding two forks
}  // namespace

void take_left_then_right_fork(std::size_t seat) {
  std::lock_guard left(forks[seat]);
  std::lock_guard right(forks[(seat + 1) % kPhilosophers]);
  ++meals_eaten;
}

int main() {
  // One philosopher at a time: the cycle exists in the lock order, never in this run.
  for (std::size_t seat = 0; seat < kPhilosophers; ++seat) {
    std::thread(take_left_then_right_fork, seat).join();
  }
  std::cout << "dining_philosophers_cpp: " << meals_eaten << " meals eaten\n";
  return 0;
}

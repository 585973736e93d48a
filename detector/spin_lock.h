// SpinLock: the only lock lockwatch's own slow paths take.
// It is a plain atomic flag, never a pthread mutex, so taking it can never re-enter the
// interposers, and it is safe inside allocators and before any constructor has run.
// Holders keep it for short, bounded work (a table insert, a graph search); waiters yield,
// then sleep, so a waiter of higher real-time priority cannot starve the holder for good.
#pragma once

#include <sched.h>
#include <time.h>
#include <atomic>
#include <mutex>  // std::adopt_lock_t

namespace lockwatch {

class SpinLock {
 public:
  void lock() noexcept {
    for (unsigned spins = 0; flag_.exchange(true, std::memory_order_acquire);) {
      while (flag_.load(std::memory_order_relaxed)) {
        ++spins;
        if (spins > 4096) {
          const timespec pause{0, 50'000};
          nanosleep(&pause, nullptr);
        } else if (spins % 64 == 0) {
          sched_yield();
        }
      }
    }
  }
  // Reads before it writes: a failed try leaves the lock's cache line shared, where an
  // exchange would take it away from the holder.
  bool try_lock() noexcept {
    return !flag_.load(std::memory_order_relaxed) && !flag_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

class SpinLockGuard {
 public:
  explicit SpinLockGuard(SpinLock& lock) noexcept : lock_(lock) { lock_.lock(); }
  SpinLockGuard(SpinLock& lock, std::adopt_lock_t) noexcept : lock_(lock) {}  // already held
  ~SpinLockGuard() { lock_.unlock(); }
  SpinLockGuard(const SpinLockGuard&) = delete;
  SpinLockGuard& operator=(const SpinLockGuard&) = delete;

 private:
  SpinLock& lock_;
};

}  // namespace lockwatch

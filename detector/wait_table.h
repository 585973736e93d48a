// WaitTable: the objects threads are waiting on right now (condition variables, barriers),
// with, for a condvar, the mutex its waits use. POSIX binds a condvar to one mutex for as long
// as anyone waits on it, so an entry lives exactly while waiters > 0: the table stays as
// small as the number of objects being waited on, and the binding is forgotten when the last
// waiter leaves. Wakes are counted too (a signal, a broadcast, a barrier's last arrival), so
// that a waiter woken and still on its way out is not taken for a blocked one.
// Thread-safe: one SpinLock, taken by waits (which block anyway) and by wakes only while
// someone waits somewhere. Limits: kSlots entries; past ~75% load waits go unchecked.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <sys/types.h>

#include "spin_lock.h"
#include "stack_depot.h"

namespace lockwatch {

class WaitTable {
 public:
  static constexpr size_t kSlots = 4096;

  // Who waits on an object: the mutex the waits use, how many wait, and the first waiter.
  struct Binding {
    uintptr_t mutex;
    uint32_t waiters;  // inside a wait call
    uint32_t woken;    // of those, signalled or broadcast to (leaving, not blocked)
    uint32_t thread;
    pid_t tid;
    StackId stack;

    uint32_t blocked() const { return waiters > woken ? waiters - woken : 0; }
  };

  // A wait on `object` (or barrier: mutex 0) begins, by `thread` at `stack`. Returns the
  // binding as it was before (waiters 0 when nobody waited); it keeps the first waiters' mutex.
  Binding begin_wait(uintptr_t object, uintptr_t mutex, uint32_t thread, pid_t tid, StackId stack);
  void end_wait(uintptr_t object);
  // A signal (one waiter) or broadcast (all waiters) on `object`. Returns the mutex its
  // waits use, 0 when nobody waits on it.
  uintptr_t wake(uintptr_t object, bool all);
  // The binding now; waiters 0 when nobody waits.
  Binding binding(uintptr_t object) const;

  void lock_for_fork() { lock_.lock(); }
  void unlock_after_fork() { lock_.unlock(); }
  // In a forked child: the waiters were the parent's other threads, which the child has not.
  void forget_all() {
    SpinLockGuard guard(lock_);
    for (Entry& entry : entries_) entry = {};
    used_.store(0, std::memory_order_relaxed);
  }

 private:
  struct Entry {
    uintptr_t object;  // 0 empty
    Binding binding;
  };
  size_t find(uintptr_t object) const;  // slot, or kSlots

  mutable SpinLock lock_;
  Entry entries_[kSlots] = {};
  std::atomic<size_t> used_{0};
};

}  // namespace lockwatch

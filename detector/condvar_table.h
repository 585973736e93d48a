// CondvarTable: the condition variables threads are waiting on right now, with the mutex
// their waits use. POSIX binds a condvar to one mutex for as long as anyone waits on it, so
// an entry lives exactly while waiters > 0: the table stays as small as the number of
// condvars being waited on, and the binding is forgotten when the last waiter leaves.
// Wakes are counted too, so that a waiter woken by a broadcast and still on its way out is
// not taken for a blocked one.
// Thread-safe: one SpinLock (condition waits block anyway; signal only looks when the
// signal_unheld check is on). Limits: kSlots entries; past ~75% load waits go unchecked.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <sys/types.h>

#include "spin_lock.h"
#include "stack_depot.h"

namespace lockwatch {

class CondvarTable {
 public:
  static constexpr size_t kSlots = 4096;

  // Who waits on a condvar: the mutex the waits use, how many wait, and the first waiter.
  struct Binding {
    uintptr_t mutex;
    uint32_t waiters;  // inside a wait call
    uint32_t woken;    // of those, signalled or broadcast to (leaving, not blocked)
    uint32_t thread;
    pid_t tid;
    StackId stack;

    uint32_t blocked() const { return waiters > woken ? waiters - woken : 0; }
  };

  // A wait on `condvar` with `mutex` begins, by `thread` at `stack`. Returns the binding as it
  // was before (waiters 0 when nobody waited); the binding keeps the first waiters' mutex.
  Binding begin_wait(uintptr_t condvar, uintptr_t mutex, uint32_t thread, pid_t tid, StackId stack);
  void end_wait(uintptr_t condvar);
  // A signal (one waiter) or broadcast (all waiters) on `condvar`.
  void wake(uintptr_t condvar, bool all);
  // The binding now; waiters 0 when nobody waits.
  Binding binding(uintptr_t condvar) const;

  void lock_for_fork() { lock_.lock(); }
  void unlock_after_fork() { lock_.unlock(); }

 private:
  struct Entry {
    uintptr_t condvar;  // 0 empty
    Binding binding;
  };
  size_t find(uintptr_t condvar) const;  // slot, or kSlots

  mutable SpinLock lock_;
  Entry entries_[kSlots] = {};
  std::atomic<size_t> used_{0};
};

}  // namespace lockwatch

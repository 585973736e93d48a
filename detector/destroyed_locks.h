// DestroyedLocks: where recently destroyed locks were destroyed, and by which thread, for the
// evidence of use_destroyed. Direct-mapped and bounded (kSlots): a newer destroy at a
// colliding address overwrites the older one. Detection itself does not depend on it (glibc
// marks a destroyed mutex in its own memory). Thread-safe: one SpinLock (destroy is rare).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "spin_lock.h"
#include "stack_depot.h"

namespace lockwatch {

class DestroyedLocks {
 public:
  static constexpr size_t kSlots = 1024;
  struct Record {
    uintptr_t address;
    uint32_t thread;
    pid_t tid;
    StackId stack;
  };

  void remember(const Record& record) {
    SpinLockGuard guard(lock_);
    records_[slot(record.address)] = record;
  }
  // Forgets `address` (a new lock was initialised there).
  void forget(uintptr_t address) {
    SpinLockGuard guard(lock_);
    Record& record = records_[slot(address)];
    if (record.address == address) record = {};
  }
  bool find(uintptr_t address, Record& out) const {
    SpinLockGuard guard(lock_);
    const Record& record = records_[slot(address)];
    if (record.address != address || address == 0) return false;
    out = record;
    return true;
  }

  void lock_for_fork() { lock_.lock(); }
  void unlock_after_fork() { lock_.unlock(); }

 private:
  static size_t slot(uintptr_t address) { return (address * 0x9e3779b97f4a7c15ull >> 54) % kSlots; }

  mutable SpinLock lock_;
  Record records_[kSlots] = {};
};

}  // namespace lockwatch

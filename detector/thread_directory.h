// ThreadDirectory: the live threads lockwatch knows, so a check can cite another thread's
// evidence (where the owner of a mutex acquired it) and, later, the watchdog can walk them.
// A doubly linked list through ThreadRecord, changed only when threads start and end: a live
// thread's ThreadRecord, or the record kept of a thread that ended holding locks.
// Thread-safe: one SpinLock. Reading another thread's held locks is a racy snapshot, used
// only as evidence in reports.
#pragma once

#include <sys/types.h>

#include "spin_lock.h"
#include "thread_state.h"

namespace lockwatch {

class ThreadDirectory {
 public:
  void add(ThreadRecord& thread);
  void remove(ThreadRecord& thread);
  // Lists `kept` in the place of `thread`, which must be listed.
  void replace(ThreadRecord& thread, ThreadRecord& kept);
  // Calls `visit(const ThreadRecord&)` for the thread with kernel id `tid`, under the lock;
  // false when there is none.
  template <typename Visit>
  bool with_thread(pid_t tid, Visit&& visit) {
    SpinLockGuard guard(lock_);
    for (ThreadRecord* thread = head_; thread != nullptr; thread = thread->next_listed) {
      if (thread->tid == tid) {
        visit(*thread);
        return true;
      }
    }
    return false;
  }

  // Calls `visit(const ThreadRecord&)` for every listed thread, under the lock.
  template <typename Visit>
  void for_each(Visit&& visit) {
    SpinLockGuard guard(lock_);
    for (ThreadRecord* thread = head_; thread != nullptr; thread = thread->next_listed) visit(*thread);
  }

  // After fork(): only `survivor` (the forking thread; null when it has no state) exists in
  // the child.
  void keep_only(ThreadRecord* survivor) {
    SpinLockGuard guard(lock_);
    head_ = survivor;
    if (survivor != nullptr) survivor->next_listed = survivor->previous_listed = nullptr;
  }

  void lock_for_fork() { lock_.lock(); }
  void unlock_after_fork() { lock_.unlock(); }

 private:
  SpinLock lock_;
  ThreadRecord* head_ = nullptr;
};

}  // namespace lockwatch

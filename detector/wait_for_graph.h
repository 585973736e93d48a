// WaitForGraph: finds real deadlocks, now: a cycle of threads each blocked on a lock that the
// next one holds. Built by the watchdog from a snapshot of every thread's published state
// (what it is blocked on, which locks it holds); owners come from lockwatch's own held-lock
// records, never from the lock's memory (which may be freed under a racing read). The snapshot
// is racy by nature, so a cycle counts only when two consecutive looks find the same one.
// Not thread-safe: the watchdog thread alone uses it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "lock_registry.h"
#include "stack_depot.h"
#include "thread_directory.h"

namespace lockwatch {

// One thread of a deadlock: it holds `held` (acquired at `held_stack`) and waits for
// `waits_for` (requested at `waiting_at`).
struct DeadlockLink {
  uint32_t thread;
  pid_t tid;
  uintptr_t held;
  LockKind held_kind;
  StackId held_stack;
  uintptr_t waits_for;
  LockKind waits_for_kind;
  StackId waiting_at;
};

class WaitForGraph {
 public:
  // Looks at the threads now. True when the same cycle was also there at the previous look:
  // `cycle` then holds it, starting with its lowest-numbered thread.
  bool find_stable_cycle(ThreadDirectory& threads, std::vector<DeadlockLink>& cycle);

 private:
  struct Blocked {
    uint32_t thread;
    pid_t tid;
    uintptr_t waits_for;
    LockMode mode;
    LockKind kind;
    StackId waiting_at;
    std::vector<HeldLock> held;
  };

  static bool find_cycle(const std::vector<Blocked>& blocked, std::vector<DeadlockLink>& cycle);
  uint64_t previous_signature_ = 0;
};

}  // namespace lockwatch

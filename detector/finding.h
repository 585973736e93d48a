// Finding: what the detector reports, as plain data that reporters turn into text, JSON
// Lines and, later, SARIF. Stacks are StackDepot ids; reporters symbolize them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lock_registry.h"
#include "stack_depot.h"

namespace lockwatch {

enum class Severity { error, warning };

// Every finding kind (SPEC), and every subkind a misuse finding may have (README's table).
inline constexpr const char* kFindingKinds[] = {
    "lock_order_inversion", "deadlock", "stall", "hang", "long_hold", "misuse"};
inline constexpr const char* kMisuseSubkinds[] = {"unlock_unlocked",
                                                  "unlock_not_owner",
                                                  "relock",
                                                  "destroy_locked",
                                                  "use_destroyed",
                                                  "cond_wait_unheld",
                                                  "cond_multiple_mutexes",
                                                  "cond_signal_unheld",
                                                  "exit_holding",
                                                  "rwlock_upgrade",
                                                  "rwlock_unlock_unheld",
                                                  "reinit_live",
                                                  "destroy_busy",
                                                  "self_join",
                                                  "invalid_object"};

struct FindingThread {
  uint32_t number;
  pid_t tid;
};

struct FindingLock {
  uintptr_t address;
  LockKind kind;
  StackId first_use;
};

// One edge of a lock-order cycle: `thread` held locks[from] (acquired at held_stack) and
// requested locks[to] (at requested_stack).
struct FindingEdge {
  size_t from;
  size_t to;
  LockMode from_mode;
  LockMode to_mode;
  uint32_t thread;
  StackId held_stack;
  StackId requested_stack;
};

// Evidence from another event of a misuse: what happened where, by which thread.
struct FindingRelated {
  std::string what;  // "acquired", "initialized", "destroyed"
  uint32_t thread;
  StackId stack;
};

// A lock a thread holds, as a watchdog report shows it.
struct FindingHeldLock {
  uintptr_t address;
  LockKind kind;
  LockMode mode;
  StackId acquired_at;
  uint64_t held_ms;  // at least this long (the watchdog's resolution is watchdog_ms)
};

// One thread in a watchdog report or dump: what it does now, where, and what it holds.
struct FindingThreadDump {
  uint32_t number;
  pid_t tid;
  // What it is blocked in ("lock", "condition_wait", "join", "barrier", "semaphore"), or
  // "exited", or, outside those, "running" or "syscall:<name>" (see ThreadSampler).
  std::string state;
  bool timed = false;     // the blocking call has a timeout
  uintptr_t object = 0;   // what it is blocked on (a lock, condvar, barrier, semaphore)
  uint32_t joins = 0;     // the thread it joins, when lockwatch knows it
  uint64_t blocked_ms = 0;
  StackId stack = kNoStack;
  std::string stack_source;  // how `stack` was taken: see ThreadSampler
  std::vector<FindingHeldLock> held;
};

struct Finding {
  std::string kind;  // an exact SPEC kind: "lock_order_inversion", "misuse", ...
  std::string subkind;
  Severity severity = Severity::error;
  std::vector<FindingThread> threads;
  std::vector<FindingLock> locks;
  std::vector<FindingEdge> cycle;       // lock_order_inversion
  uint32_t thread = 0;                  // misuse: the thread that made the bad call
  StackId stack = kNoStack;             // misuse: the bad call
  std::vector<FindingRelated> related;  // misuse: evidence
  std::vector<FindingThreadDump> dump;  // watchdog findings: the threads involved, now
  uint64_t duration_ms = 0;             // stall: blocked this long; long_hold: held this long
};



class FindingSink {
 public:
  virtual ~FindingSink() = default;
  // Called outside every detector lock, on the thread that made the finding.
  virtual void report(const Finding& finding) = 0;
  // Watchdog thread. A thread dump asked for from outside (not a finding).
  virtual void report_dump(const std::vector<FindingThreadDump>& threads) = 0;
  // Watchdog thread. `finding`, a long_hold reported earlier, ended after `held_ms`.
  virtual void report_long_hold_end(const Finding& finding, uint64_t held_ms) = 0;
};

}  // namespace lockwatch

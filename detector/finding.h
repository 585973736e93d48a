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
};

class FindingSink {
 public:
  virtual ~FindingSink() = default;
  // Called outside every detector lock, on the thread that made the finding.
  virtual void report(const Finding& finding) = 0;
};

}  // namespace lockwatch

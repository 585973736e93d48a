// MisuseReport: one misuse of the synchronization API, as a check describes it: which
// subkind, the call that was wrong, the objects involved, and the evidence from other events
// (where the lock was acquired, initialised or destroyed, and by which thread). Plain data,
// no allocation: checks fill it inside interposed calls.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "call_site.h"
#include "finding.h"
#include "lock_registry.h"
#include "stack_depot.h"

namespace lockwatch {

struct MisuseReport {
  static constexpr size_t kMaxObjects = 2;
  static constexpr size_t kMaxRelated = 4;

  struct Object {
    uintptr_t address;
    LockKind kind;
  };
  struct Related {
    const char* what;  // "acquired", "initialized", "destroyed", ...
    uint32_t thread;   // lockwatch's thread number; 0 when the thread is unknown to lockwatch
    pid_t tid;
    StackId stack;
  };

  const char* subkind = "";
  Severity severity = Severity::error;
  CallSite site;  // the bad call
  Object objects[kMaxObjects] = {};
  size_t object_count = 0;
  Related related[kMaxRelated] = {};
  size_t related_count = 0;

  void add_object(uintptr_t address, LockKind kind) {
    if (object_count < kMaxObjects) objects[object_count++] = {address, kind};
  }
  void add_related(const Related& evidence) {
    if (related_count < kMaxRelated && evidence.stack != kNoStack) related[related_count++] = evidence;
  }
};

}  // namespace lockwatch

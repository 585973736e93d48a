// Reentrancy: marks the threads that are running lockwatch's own code right now.
// lockwatch's slow paths call code that locks pthread mutexes (malloc, spdlog, libunwind's
// caches, dlopen of the symbolizer); those calls reach lockwatch's interposers again and must
// pass straight through, never be analysed or recurse. The fast path only reads the mark;
// each slow path sets it for its own duration (InsideLockwatch). A thread that leaves analysis
// for good (the watchdog, a thread ending, the process exiting) adds kInsideForGood instead, so
// that the mark still tells whether one of those sections is in progress: a signal handler
// that interrupted one (and calls exit()) finds lockwatch's locks possibly held by its own
// thread, and must not wait for them.
#pragma once

#include <cstdint>

namespace lockwatch {

// Initial-exec TLS (one %fs-relative access). __thread: no dynamic initialisation, no wrapper.
extern __thread uint32_t lockwatch_depth __attribute__((tls_model("initial-exec")));

inline bool inside_lockwatch() {
  return lockwatch_depth != 0;
}

constexpr uint32_t kInsideForGood = uint32_t{1} << 16;

// Nothing this thread does from now on is analysed.
inline void stay_inside_lockwatch() {
  lockwatch_depth += kInsideForGood;
}

// Whether this thread is in the middle of a section of lockwatch's own code (and may hold
// its locks): true only in a signal handler that interrupted one.
inline bool interrupted_lockwatch() {
  return lockwatch_depth % kInsideForGood != 0;
}

class InsideLockwatch {
 public:
  InsideLockwatch() { ++lockwatch_depth; }
  ~InsideLockwatch() { --lockwatch_depth; }
  InsideLockwatch(const InsideLockwatch&) = delete;
  InsideLockwatch& operator=(const InsideLockwatch&) = delete;
};

}  // namespace lockwatch

// Reentrancy: marks the threads that are running lockwatch's own code right now.
// lockwatch's slow paths call code that locks pthread mutexes (malloc, spdlog, libunwind's
// caches, dlopen of the symbolizer); those calls reach lockwatch's interposers again and must
// pass straight through, never be analysed or recurse. The fast path only reads the mark;
// each slow path sets it for its own duration (InsideLockwatch).
#pragma once

#include <cstdint>

namespace lockwatch {

// Initial-exec TLS (one %fs-relative access). __thread: no dynamic initialisation, no wrapper.
extern __thread uint32_t lockwatch_depth __attribute__((tls_model("initial-exec")));

inline bool inside_lockwatch() {
  return lockwatch_depth != 0;
}

class InsideLockwatch {
 public:
  InsideLockwatch() { ++lockwatch_depth; }
  ~InsideLockwatch() { --lockwatch_depth; }
  InsideLockwatch(const InsideLockwatch&) = delete;
  InsideLockwatch& operator=(const InsideLockwatch&) = delete;
};

}  // namespace lockwatch

// ThreadSampler: what the watchdog cannot know from published state, asked of the shim: where
// a thread is right now (it may be computing, sleeping, or blocked in a call lockwatch does not
// see), and how many threads the process has. The detector stays free of signals and /proc.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "stack_depot.h"

namespace lockwatch {

struct CurrentStack {
  StackId stack = kNoStack;
  // How it was taken: "sampled" (unwound in the thread), "scanned" (from outside: the frame it
  // is at, then return addresses found on its stack, which may include stale ones), or why
  // none is given ("signal blocked", "exited", ...).
  const char* source = "unavailable";
  // What the thread does: "running" (in user space) or "syscall:<name>" (in that system call,
  // e.g. syscall:clock_nanosleep), or "unknown".
  std::string state = "unknown";
};

class ThreadSampler {
 public:
  virtual ~ThreadSampler() = default;
  // Where the thread with kernel id `tid` is now, interned in `stacks`. Watchdog thread only.
  virtual CurrentStack current_stack(pid_t tid, StackDepot& stacks) = 0;
  // The number of threads of the process now, lockwatch's own excluded.
  virtual size_t process_threads() = 0;
  // Whether the program has signal handlers, which could post a semaphore (sem_post is
  // async-signal-safe) however blocked its threads are.
  virtual bool program_handles_signals() = 0;
};

}  // namespace lockwatch

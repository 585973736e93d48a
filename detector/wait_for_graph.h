// WaitForGraph: who waits for whom right now, from a snapshot of every thread's published
// state (what it is blocked in, which locks it holds); owners come from lockwatch's own
// held-lock records, never from the lock's memory (which may be freed under a racing read).
//
// A blocked thread is stuck for good when every thread that could end its wait is stuck too
// (a greatest fixpoint): a lock's conflicting holders (an exited holder never releases), a
// joined thread. A condition wait, barrier or semaphore can be ended by any thread, so those
// are stuck only when every live thread of the process is blocked. A deadlock is a cycle among
// stuck threads: T1 waits for what T2 holds (or for T2 to end, or, when everyone is blocked,
// for a signal on a condvar T2 signalled before), ..., back to T1.
// Not thread-safe: the watchdog thread alone uses it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "lock_registry.h"
#include "stack_depot.h"
#include "thread_directory.h"

namespace lockwatch {

// One thread as one look saw it.
struct ThreadSnapshot {
  uint32_t number;
  pid_t tid;
  uintptr_t self;
  bool exited;
  uint64_t word;     // its BlockingOperation word: 0 when it is not blocked
  uint32_t episode;  // which blocking call of the thread
  HeldLock request;  // for lock waits: the request waited for
  std::vector<HeldLock> held;
  std::vector<uintptr_t> signalled;  // condvars it signalled lately

  BlockingKind blocked() const { return BlockingOperation::kind(word); }
  uintptr_t object() const { return BlockingOperation::object(word); }
  // Blocked in a call that returns only when another thread acts.
  bool waits_forever() const {
    return blocked() != BlockingKind::none && blocked() != BlockingKind::timed_lock && !BlockingOperation::timed(word);
  }
};

// The listed threads now. The threads run on while this copies: a thread's copy is kept only
// if it shows the same blocking call before and after (else it is taken as not blocked).
std::vector<ThreadSnapshot> snapshot_threads(ThreadDirectory& threads);

// One thread of a deadlock: it waits for thread `next` to act.
struct WaitLink {
  size_t thread;  // index into the snapshot
  size_t next;    // index of the thread it waits for
};

// A cycle of stuck threads in `threads`, starting with its lowest-numbered thread; empty when
// there is none. `everyone_blocked`: every live thread of the process is in `threads` and
// blocked, so waits that any thread could end count too.
std::vector<WaitLink> find_deadlock(const std::vector<ThreadSnapshot>& threads, bool everyone_blocked);

// Index of the threads holding `lock` in a mode that `mode` conflicts with.
std::vector<size_t> conflicting_holders(const std::vector<ThreadSnapshot>& threads, uintptr_t lock, LockMode mode,
                                        size_t except);

}  // namespace lockwatch

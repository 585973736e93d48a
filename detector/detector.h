// Detector: turns the stream of lock events from every thread into findings.
// It owns the lock registry, the stack depot and the lock-order graph, and knows nothing of
// how events are intercepted (the shim calls it; unit tests call it directly).
//
// Fast path (on_lock_requested with every edge already known, on_lock_acquired,
// on_lock_released): touches the calling thread's ThreadState and lock-free tables only; no
// lock, no allocation, no unwinding. Slow paths (a new acquisition site, a new edge, a lock's
// init or destroy, a report) may take the detector's SpinLocks and unwind.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "call_site.h"
#include "finding.h"
#include "lock_order_graph.h"
#include "lock_registry.h"
#include "options.h"
#include "reentrancy.h"
#include "stack_depot.h"
#include "thread_state.h"

namespace lockwatch {

class Detector {
 public:
  Detector(const Options& options, FindingSink& sink);
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // Thread-safe. Gives `thread` (zero-filled memory) its number and tid.
  void attach_thread(ThreadState& thread, pid_t tid);

  // Called by `thread` before it acquires the lock at `address`. `blocking` is false for
  // try-locks: they cannot wait, so they add no lock-order edge (the lock is still held).
  // The acquisition is staged in the slot after the held locks and counts once
  // on_lock_acquired() commits it, so nothing needs to live across the real lock call.
  // Locks enter the registry lazily, the first time one is requested while another is held
  // (or at init): a lock never nested is never part of an edge, so it costs no lookup.
  __attribute__((always_inline)) void on_lock_requested(ThreadState& thread, uintptr_t address, LockKind kind,
                                                        CallSite site, bool blocking) {
    const StackId* cached_stack = thread.sites.find(site);
    if (__builtin_expect(cached_stack == nullptr || (blocking && thread.held_count > 0), 0)) {
      return request_nested_or_new_site(thread, address, kind, site, blocking);
    }
    stage(thread, address, LockId(), *cached_stack, kind);
  }

  // Called by `thread` once it holds the lock at `address`, which it last requested.
  void on_lock_acquired(ThreadState& thread, uintptr_t address) {
    HeldLock& staged = thread.held[thread.held_count];
    if (__builtin_expect(staged.address != address, 0)) {
      // A signal handler on this thread locked (and unlocked) another mutex in between and
      // reused the staging slot: the lock is held all the same, its evidence is lost.
      stage(thread, address, LockId(), kNoStack, LockKind::mutex);
    }
    if (thread.held_count < ThreadState::kMaxHeld) {
      ++thread.held_count;
    } else {
      ++thread.untracked_held;
    }
  }

  // Called by `thread` when it releases the lock at `address`.
  void on_lock_released(ThreadState& thread, uintptr_t address) {
    for (size_t i = thread.held_count; i-- > 0;) {
      if (thread.held[i].address != address) continue;
      for (size_t j = i + 1; j < thread.held_count; ++j) thread.held[j - 1] = thread.held[j];
      --thread.held_count;
      return;
    }
    if (thread.untracked_held > 0) --thread.untracked_held;
  }
  // The lock at `address` was (re)initialised: whatever lived there before is gone.
  void on_lock_initialized(ThreadState& thread, uintptr_t address, LockKind kind, const CallSite& site);
  // The lock at `address` was destroyed.
  void on_lock_destroyed(uintptr_t address);

  // fork(): the forking thread takes every lock of the detector (and of the internal
  // allocator) before the fork and releases them after it, in the parent and in the child,
  // so the child never inherits a table that a thread which no longer exists left locked
  // half-way through an update. Order: graph, registry, depot, allocator (the nesting order).
  void lock_for_fork();
  void unlock_after_fork();

  const StackDepot& stacks() const { return stacks_; }
  const LockRegistry& locks() const { return locks_; }
  const LockOrderGraph& graph() const { return graph_; }

 private:
  // on_lock_requested() when locks are held (edges to check) or the site's stack is unknown.
  __attribute__((noinline)) void request_nested_or_new_site(ThreadState& thread, uintptr_t address, LockKind kind,
                                                            CallSite site, bool blocking) {
    const StackId stack = thread.sites.stack_for(site, stack_depth_, stacks_);
    const LockId lock = blocking && thread.held_count > 0 ? check_order(thread, address, kind, stack) : LockId();
    stage(thread, address, lock, stack, kind);
  }
  static void stage(ThreadState& thread, uintptr_t address, LockId lock, StackId stack, LockKind kind) {
    // Field by field: an aggregate store here is merged by GCC into a vector copy through the
    // stack, which stalls on store forwarding and doubles the cost of the whole fast path.
    HeldLock& staged = thread.held[thread.held_count];
    staged.address = address;
    staged.lock = lock;
    staged.acquired_at = stack;
    staged.kind = kind;
  }
  // The edges from every lock `thread` holds to the lock at `address`: each one that the
  // thread's edge cache does not know goes to check_edge. Returns the requested lock's id.
  LockId check_order(ThreadState& thread, uintptr_t address, LockKind kind, StackId requested_at) {
    const LockId lock = registered(address, kind, requested_at, thread.number);
    if (!lock.valid()) return lock;
    for (size_t i = 0; i < thread.held_count; ++i) {
      HeldLock& held = thread.held[i];
      // Re-locking a held lock cannot wait on another thread: a recursive mutex just counts
      // up, anything else is a self-deadlock, never a lock-order edge.
      if (held.address == address) return lock;
      if (!held.lock.valid()) held.lock = registered(held.address, held.kind, held.acquired_at, thread.number);
    }
    for (size_t i = 0; i < thread.held_count; ++i) {
      const LockId held = thread.held[i].lock;
      if (!held.valid() || thread.known_edges.contains(held, lock)) continue;
      check_edge(thread, i, lock, requested_at);
    }
    return lock;
  }
  LockId registered(uintptr_t address, LockKind kind, StackId first_use, uint32_t thread) {
    const LockId lock = locks_.find(address);
    if (lock.valid()) return lock;
    InsideLockwatch inside;  // a signal handler's lock must not spin on the registry's lock
    return locks_.find_or_insert(address, kind, first_use, thread);
  }
  // The thread's edge cache missed: look the edge up in the graph, adding it when new.
  void check_edge(ThreadState& thread, size_t held_index, LockId to, StackId requested_at);
  void report_cycle(const Cycle& cycle) noexcept;
  void report_cycle_or_throw(const Cycle& cycle);

  uint32_t stack_depth_;
  FindingSink& sink_;
  StackDepot stacks_;
  LockRegistry locks_;
  LockOrderGraph graph_;
  std::atomic<uint32_t> next_thread_number_{1};
  std::atomic<bool> graph_full_reported_{false};
};

}  // namespace lockwatch

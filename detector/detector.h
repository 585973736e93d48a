// Detector: turns the stream of lock events from every thread into findings.
// It owns the lock registry, the stack depot and the lock-order graph, and knows nothing of
// how events are intercepted (the shim calls it; unit tests call it directly).
//
// Fast path (on_lock_requested with every edge already known, on_lock_acquired,
// on_lock_released): touches the calling thread's ThreadState and lock-free tables only; no
// lock, no allocation, no unwinding. Slow paths (a new acquisition site, a new edge, a lock's
// init or destroy, condition waits, thread start and end, a report) may take the detector's
// SpinLocks and unwind. Checks that need the memory of a glibc object (is this mutex locked,
// and by whom) belong to the shim, which reports them through report_misuse().
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "call_site.h"
#include "wait_table.h"
#include "destroyed_locks.h"
#include "finding.h"
#include "misuse_report.h"
#include "lock_order_graph.h"
#include "lock_profile.h"
#include "lock_registry.h"
#include "options.h"
#include "reentrancy.h"
#include "stack_depot.h"
#include "thread_directory.h"
#include "thread_state.h"

namespace lockwatch {

// One lock request, as the interposer sees it.
struct Acquisition {
  uintptr_t address;
  LockKind kind;
  LockMode mode;
  bool blocking;        // false for try-locks: they cannot wait, so they add no edge
  bool waits_forever;   // false for timed locks: a self-deadlock times out instead
};

// What the detector found about a request before it is made.
enum class RequestVerdict {
  proceed,
  self_deadlock,  // the thread holds this lock so that the request can never be granted
};

class Detector {
 public:
  Detector(const Options& options, FindingSink& sink);
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // Thread-safe. Gives `thread` (zero-filled memory) its number, tid and pthread_t and lists it.
  void attach_thread(ThreadState& thread, pid_t tid, uintptr_t self);
  // Thread-safe. `thread` is ending: reports the locks it still holds (exit_holding), except
  // those for which `outlives_owner(held)` says the owner's death is part of their design
  // (robust mutexes: the next locker gets EOWNERDEAD). True when it holds others: a record of
  // the thread (its held locks, not its caches) is then listed in its place, so that the
  // wait-for graph still sees those locks' holder. Either way `thread` is unlisted, and its
  // memory is the caller's to free.
  bool detach_thread(ThreadState& thread, bool (*outlives_owner)(const HeldLock& held));
  // Thread-safe. Adds the edges `thread` kept pending to the graph: before it blocks (a real
  // deadlock must find its inversion reported), and, for every live thread, from the
  // watchdog's looks and at the process's exit (add_all_pending_edges), so that a kept edge
  // waits at most a watchdog period.
  void add_own_pending_edges(ThreadState& thread) {
    if (__builtin_expect(thread.pending_edges.count.load(std::memory_order_relaxed) != 0, 0)) {
      add_pending_edges_of(thread, true);
    }
  }
  void add_all_pending_edges();

  // Called by `thread` before it acquires a lock. The acquisition is staged in the slot after
  // the held locks and counts once on_lock_acquired() commits it, so nothing needs to live
  // across the real lock call. Locks enter the registry lazily, the first time one is
  // requested while another is held (or at init): a lock never nested is never part of an
  // edge, so it costs no lookup. Re-requesting a held lock is checked here (relock,
  // rwlock_upgrade), before the thread blocks.
  __attribute__((always_inline)) RequestVerdict on_lock_requested(ThreadState& thread, const Acquisition& request,
                                                                  CallSite site) {
    const StackId* cached_stack = thread.sites.find(site);
    if (__builtin_expect(cached_stack == nullptr || (request.blocking && thread.held_count > 0), 0)) {
      if (cached_stack == nullptr || !known_nesting(thread, request.address, request.mode)) {
        return request_nested_or_new_site(thread, request, site, cached_stack);
      }
    }
    stage(thread, request.address, LockId(), *cached_stack, request.kind, request.mode);  // registered when needed
    return RequestVerdict::proceed;
  }

  // Called by `thread` once it holds the lock at `address`, which it last requested.
  __attribute__((always_inline)) void on_lock_acquired(ThreadState& thread, uintptr_t address) {
    HeldLock* staged = &thread.held[thread.held_count];
    if (__builtin_expect(staged->address != address, 0)) {
      // A signal handler on this thread locked (and unlocked) another mutex in between and
      // reused the staging slot: the lock is held all the same, its evidence is lost.
      stage(thread, address, LockId(), kNoStack, LockKind::mutex, LockMode::exclusive);
    }
    if (thread.held_count < ThreadState::kMaxHeld) {
      ++thread.held_count;
    } else {
      ++thread.untracked_held;
    }
    if (profiling_) profile_acquisition(thread, *staged);
  }
  // Called by `thread` after on_lock_acquired() when the lock at `address` was contended: it
  // was taken when asked for at `since_ns`, and the thread got it at `now_ns` (monotonic_ns()).
  // Its hold is timed too.
  void on_contended_acquisition(ThreadState& thread, uintptr_t address, uint64_t since_ns, uint64_t now_ns);
  // Called by `thread` when it releases the lock at `address`. False when the thread does
  // not hold it as far as lockwatch knows (the caller then tells which misuse it is).
  bool on_lock_released(ThreadState& thread, uintptr_t address) {
    if (__builtin_expect(thread.profile.sampled_lock == address, 0)) end_hold_sample(thread, address);
    for (size_t i = thread.held_count; i-- > 0;) {
      if (thread.held[i].address != address) continue;
      for (size_t j = i + 1; j < thread.held_count; ++j) thread.held[j - 1] = thread.held[j];
      --thread.held_count;
      return true;
    }
    if (thread.untracked_held == 0) return false;
    --thread.untracked_held;
    return true;
  }
  // Thread-safe. Another thread unlocked the lock at `address` that the thread with kernel id
  // `owner` held, and the unlock released it (a normal mutex: glibc does not check its owner):
  // that thread holds it no more (see HoldsEndedByOthers).
  void on_lock_released_for(pid_t owner, uintptr_t address);
  // The held entry of `address` in `thread`, or null.
  static const HeldLock* held_entry(const ThreadRecord& thread, uintptr_t address) {
    for (size_t i = thread.held_count; i-- > 0;) {
      if (thread.held[i].address == address) return &thread.held[i];
    }
    return nullptr;
  }

  // The lock at `address` was (re)initialised: whatever lived there before is gone.
  void on_lock_initialized(ThreadState& thread, uintptr_t address, LockKind kind, CallSite site);
  // The lock at `address` was destroyed by `thread` at `site`.
  void on_lock_destroyed(ThreadState& thread, uintptr_t address, CallSite site);
  // Thread-safe, lock-free, no ThreadState needed (it runs while threads exit). Whether memory
  // being released may hold a tracked lock: when false, on_memory_released has nothing to do.
  bool may_hold_locks(uintptr_t begin, uintptr_t end) const { return locks_.may_hold_locks(begin, end); }
  // Memory [begin, end) was released (an ended thread's stack): the locks in it are gone
  // although nothing destroyed them (a std::mutex never is), and a lock made there later is a
  // new lock with no edges.
  void on_memory_released(uintptr_t begin, uintptr_t end);

  // Condition waits. A wait releases `mutex` in the bookkeeping; the re-acquisition after it
  // goes through on_lock_requested/on_lock_acquired like any acquisition (new edges count).
  // on_cond_wait_begin reports cond_wait_unheld (when the caller does not hold `mutex`, as
  // far as lockwatch knows and `holds_mutex` confirms) and cond_multiple_mutexes.
  void on_cond_wait_begin(ThreadState& thread, uintptr_t condvar, uintptr_t mutex, LockKind mutex_kind,
                          bool holds_mutex, CallSite site);
  void on_cond_wait_end(uintptr_t condvar);
  // With the profile on: `thread` spent `wait_ns` in a condition wait that released `mutex`.
  void on_cond_waited(ThreadState& thread, uintptr_t mutex, uint64_t wait_ns) noexcept;
  // signal/broadcast: counts the wake, and reports cond_signal_unheld (a warning, when the
  // option asks for it).
  void on_cond_signal(ThreadState& thread, uintptr_t condvar, bool broadcast, CallSite site);
  // Who waits on `object` (a condvar or barrier) now, for destroy_busy and reinit_live.
  WaitTable::Binding waiters(uintptr_t object) const { return waits_.binding(object); }

  // Barrier waits: `count` threads trip the barrier, and the waiters it wakes are not blocked.
  void on_barrier_wait_begin(ThreadState& thread, uintptr_t barrier, uint32_t count, CallSite site);
  void on_barrier_wait_end(uintptr_t barrier);


  // Reports a misuse of the synchronization API made by `thread` at `report.site`, once
  // per code path (subkind and stack).
  void report_misuse(ThreadState& thread, const MisuseReport& report);
  // Evidence about another thread: where the thread with kernel id `tid` acquired the lock
  // at `address`, when lockwatch knows it.
  bool find_acquisition(pid_t tid, uintptr_t address, MisuseReport::Related& out);
  // Evidence of the last destroy of the lock at `address`, when lockwatch remembers it.
  bool find_destruction(uintptr_t address, MisuseReport::Related& out) const;
  // Evidence of the (re)initialisation of the live lock at `address`.
  bool find_initialization(uintptr_t address, MisuseReport::Related& out) const;
  // The kind lockwatch knows the object at `address` as, if it knows it.
  bool known_kind(uintptr_t address, LockKind& kind) const;

  // fork(): the forking thread takes every lock of the detector (and of the internal
  // allocator) before the fork and releases them after it, in the parent and in the child,
  // so the child never inherits a table that a thread which no longer exists left locked
  // half-way through an update. Order: threads, condvars, graph, registry, depot, profile tables, allocator.
  void lock_for_fork();
  void unlock_after_fork();
  // In a forked child: the other threads are gone.
  // In a forked child, single-threaded: only `survivor` (the thread that forked, with its held
  // locks; null when lockwatch had no state for it) lives on. The parent's other threads, the
  // locks they held, their condition and barrier waits, and the profile's counts (the
  // parent's work, not the child's) are forgotten; the lock-order graph is kept (the child
  // runs the same code).
  void adopt_forked_child(ThreadState* survivor);

  // The contention profile now: the locks with at least `min_contended` contended
  // acquisitions, and every acquisition site. Thread-safe (live threads' counts are read as
  // they are).
  ProfileSnapshot profile_snapshot(uint32_t min_contended);
  bool profiling() const { return profiling_; }

  const StackDepot& stacks() const { return stacks_; }
  StackDepot& stacks() { return stacks_; }
  ThreadDirectory& threads() { return threads_; }
  const LockRegistry& locks() const { return locks_; }
  const LockOrderGraph& graph() const { return graph_; }

 private:
  // A nested request whose every edge this thread has checked already, with the same locks
  // held (KnownNestingCache), and no edges of its own waiting to go in. A leaf: no registers
  // to save, nothing that takes a lock.
  __attribute__((noinline)) bool known_nesting(const ThreadState& thread, uintptr_t address, LockMode mode) const;
  // on_lock_requested() when locks are held (edges to check) or the site's stack is unknown
  // (`cached_stack`: what the site cache vouched for, or null). By value: a reference would make the fast path build the request in memory, and the
  // byte fields read back as one word stall store forwarding.
  __attribute__((noinline)) RequestVerdict request_nested_or_new_site(ThreadState& thread, Acquisition request,
                                                                      CallSite site, const StackId* cached_stack);
  // The profile's share of an acquisition (fast path: this thread's cached record of the
  // lock, and its count for the site).
  __attribute__((always_inline)) void profile_acquisition(ThreadState& thread, const HeldLock& held) {
    LockRecord* record = thread.profile.cached(held.address);
    if (__builtin_expect(record == nullptr, 0)) record = cache_profile_record(thread, held);
    ThreadProfile::SiteCount& site = thread.profile.sites[held.acquired_at % ThreadProfile::kSiteEntries];
    if (__builtin_expect(site.site != held.acquired_at, 0)) reuse_site_count(site, held.acquired_at);
    bump(site.acquisitions);
    if (record != nullptr) {
      if (held.mode == LockMode::read) {
        // Readers are not alone: their counts go to the record a batch at a time.
        const size_t slot = ThreadProfile::slot_of(held.address);
        const uint32_t reads = thread.profile.pending_reads[slot].load(std::memory_order_relaxed) + 1;
        thread.profile.pending_reads[slot].store(reads, std::memory_order_relaxed);
        if (__builtin_expect(reads >= ThreadProfile::kReadBatch, 0)) add_pending_reads(thread, slot, &site);
      } else {
        // An exclusive holder is alone: the lock orders these plain updates.
        bump(record->acquisitions);
        if (__builtin_expect(record->owner.load(std::memory_order_relaxed) != thread.number, 0)) {
          record->owner.store(thread.number, std::memory_order_relaxed);
          record->owner_changes.fetch_add(1, std::memory_order_relaxed);
          bump(site.owner_changes);
        }
      }
    }
    if (__builtin_expect(++thread.profile.since_sample >= profile_sample_, 0)) start_hold_sample(thread, held, 0);
  }
  template <typename Counter>
  static void bump(std::atomic<Counter>& counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  __attribute__((noinline)) LockRecord* cache_profile_record(ThreadState& thread, const HeldLock& held);
  // Adds the read acquisitions counted in the thread's record cache `slot` to the record: one
  // owner change if the lock last belonged to another thread (counted at `site` too, if given).
  __attribute__((noinline)) void add_pending_reads(ThreadState& thread, size_t slot, ThreadProfile::SiteCount* site);
  __attribute__((noinline)) void reuse_site_count(ThreadProfile::SiteCount& entry, StackId site);
  // `now_ns`: the time already read, or 0 to read it.
  __attribute__((noinline)) void start_hold_sample(ThreadState& thread, const HeldLock& held, uint64_t now_ns);
  __attribute__((noinline)) void end_hold_sample(ThreadState& thread, uintptr_t address);

  static void stage(ThreadState& thread, uintptr_t address, LockId lock, StackId stack, LockKind kind,
                    LockMode mode) {
    // Field by field: an aggregate store here is merged by GCC into a vector copy through the
    // stack, which stalls on store forwarding and doubles the cost of the whole fast path.
    HeldLock& staged = thread.held[thread.held_count];
    staged.address = address;
    staged.lock = lock;
    staged.acquired_at = stack;
    staged.serial = ++thread.acquisitions;
    staged.kind = kind;
    staged.mode = mode;
  }
  // The holds of `thread` that other threads ended, dropped from its held locks.
  void drop_holds_ended_by_others(ThreadState& thread);
  // A request for a lock `thread` already holds: recursion, or a misuse.
  RequestVerdict check_rerequest(ThreadState& thread, const HeldLock& held, const Acquisition& request,
                                 StackId requested_at);
  LockId registered(uintptr_t address, LockKind kind, StackId first_use, uint32_t thread) {
    const LockId lock = locks_.find(address);
    if (lock.valid()) return lock;
    InsideLockwatch inside;  // a signal handler's lock must not spin on the registry's lock
    return locks_.find_or_insert(address, kind, first_use, thread);
  }
  // The thread's edge cache missed: look the edge up in the graph, adding it when new (or,
  // while another thread holds the graph, keeping it in the thread's pending edges).
  void check_edge(ThreadState& thread, size_t held_index, LockId to, const Acquisition& request,
                  StackId requested_at);
  // Adds `pending` to the graph (waiting for it when `wait`), collecting what it found.
  void add_pending_edges(PendingEdges& pending, bool wait, Cycles& cycles, bool& full);
  // Reports what adding edges found, once no lock of lockwatch is held.
  void report_new_edges(const Cycles& cycles, bool full) noexcept;
  void report_cycle(const Cycle& cycle) noexcept;
  // `wait` false: only if the graph is free now.
  __attribute__((noinline)) void add_pending_edges_of(ThreadState& thread, bool wait);
  void report_cycle_or_throw(const Cycle& cycle);
  void report_misuse_or_throw_guarded(ThreadState& thread, const MisuseReport& report, StackId stack);

  uint32_t stack_depth_;
  FindingSink& sink_;
  StackDepot stacks_;
  LockRegistry locks_;
  LockOrderGraph graph_;
  bool report_signal_unheld_;
  WaitTable waits_;
  ThreadDirectory threads_;
  DestroyedLocks destroyed_;
  SpinLock reported_misuse_lock_;
  SpinLock pending_look_lock_;  // add_all_pending_edges: from taking edges out until they are in
  std::vector<uint64_t, InternalStlAllocator<uint64_t>> reported_misuse_;  // subkind x stack
  std::atomic<uint32_t> next_thread_number_{1};
  const bool profiling_;
  const uint32_t profile_sample_;  // UINT32_MAX: no hold sampling
  LockProfile profile_;
  std::atomic<bool> graph_full_reported_{false};
};

}  // namespace lockwatch

// ThreadState: everything lockwatch knows about one thread, owned and touched by that thread
// alone on the fast path (no atomics, no shared cache lines). Plain data with no constructor,
// so the shim can place it in memory it zero-fills and recycle it when the thread ends.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "acquisition_site_cache.h"
#include "lock_order_graph.h"
#include "lock_profile.h"
#include "lock_registry.h"
#include "spin_lock.h"
#include "stack_depot.h"

namespace lockwatch {

struct HeldLock {
  uintptr_t address;
  LockId lock;  // invalid until first needed (see Detector::on_lock_requested)
  StackId acquired_at;
  uint32_t serial;  // the thread's acquisition count when taken: tells a re-acquisition apart
  LockKind kind;
  LockMode mode;
};

// Edges this thread has already checked against the lock-order graph. A hit means the edge
// is in the graph, or on its way there in this thread's pending edges (or in the hands of the
// watchdog's look that took them): nothing global to read, unless the edge was `gated` (it
// had gates, which every new occurrence may narrow). Direct-mapped; a collision only costs a
// lookup.
struct KnownEdgeCache {
  static constexpr size_t kEntries = 256;
  struct Entry {
    uint64_t from;
    uint64_t to;
    uint8_t modes;
    bool gated;
  };
  Entry entries[kEntries];
  enum class Check { unknown, known, gated };

  static uint8_t modes(LockMode held, LockMode requested) {
    return static_cast<uint8_t>((static_cast<unsigned>(held) << 1) | static_cast<unsigned>(requested) | 4u);
  }
  static size_t slot(uint64_t from, uint64_t to) {
    uint64_t h = (from * 0x9e3779b97f4a7c15ull) ^ to;
    return (h ^ (h >> 29)) % kEntries;
  }
  Check check(LockId from, LockId to, uint8_t edge_modes) const {
    const Entry& e = entries[slot(from.packed(), to.packed())];
    if (e.from != from.packed() || e.to != to.packed() || e.modes != edge_modes) return Check::unknown;
    return e.gated ? Check::gated : Check::known;
  }
  void remember(LockId from, LockId to, uint8_t edge_modes, bool gated) {
    entries[slot(from.packed(), to.packed())] = {from.packed(), to.packed(), edge_modes, gated};
  }
};

// Nested requests this thread has checked in full: the same locks held (addresses and modes,
// in any order) and the same lock requested, every edge then known (KnownEdgeCache), with the
// lock registry's removal count at the time. A hit skips the registry look-ups and the edge
// checks of a request: until some lock leaves the registry, the same addresses name the same
// locks, and a known edge stays known. A nesting is keyed by a 64-bit sum of mixed (address,
// mode) words (a sum, so that a lock held twice does not cancel out); direct-mapped.
struct KnownNestingCache {
  static constexpr size_t kEntries = 128;
  struct Entry {
    uint64_t nesting;
    uint64_t removals;
  };
  Entry entries[kEntries];

  static uint64_t nesting(const HeldLock* held, size_t held_count, uintptr_t requested, LockMode mode) {
    uint64_t sum = mix((uint64_t{requested} << 1 | static_cast<unsigned>(mode)) ^ kRequestedSalt);
    for (size_t i = 0; i < held_count; ++i) {
      sum += mix(uint64_t{held[i].address} << 1 | static_cast<unsigned>(held[i].mode));
    }
    return sum | 1;  // never 0, an empty entry
  }
  bool contains(uint64_t nesting, uint64_t removals) const {
    const Entry& entry = entries[slot(nesting)];
    return entry.nesting == nesting && entry.removals == removals;
  }
  void remember(uint64_t nesting, uint64_t removals) { entries[slot(nesting)] = {nesting, removals}; }

 private:
  static constexpr uint64_t kRequestedSalt = 0x5bd1e9955bd1e995ull;
  static uint64_t mix(uint64_t x) {  // splitmix64's finaliser
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
  static size_t slot(uint64_t nesting) { return (nesting >> 32) % kEntries; }
};

// What a thread is blocked in right now: written by the thread around its blocking calls
// (a lock only once a try-lock has failed), read by the watchdog thread (hence the atomics).
// `lock` waits forever; `timed_lock` (a timed or try request) gives up by itself, so it can
// never be part of a deadlock; other waits with a timeout carry the `timed` bit.
enum class BlockingKind : uint8_t { none, lock, timed_lock, condition_wait, join, barrier, semaphore };

// One word, one store on each side of a blocking call: the object (a lock, condvar, barrier,
// semaphore, or joined pthread_t; user-space values fit in 55 bits), the timed bit and the kind
// on top. `episodes` counts the calls, so the watchdog tells one long wait from two short ones
// on the same object.
struct BlockingOperation {
  std::atomic<uint64_t> word;
  std::atomic<uint32_t> episodes;

  void begin(BlockingKind what, uintptr_t on, bool timed = false) {
    episodes.store(episodes.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    word.store((uint64_t{static_cast<uint8_t>(what)} << 56) | (timed ? kTimedBit : 0) | on, std::memory_order_release);
  }
  void end() { word.store(0, std::memory_order_release); }

  static BlockingKind kind(uint64_t word) { return static_cast<BlockingKind>(word >> 56); }
  static uintptr_t object(uint64_t word) { return static_cast<uintptr_t>(word & kObjectMask); }
  static bool timed(uint64_t word) { return (word & kTimedBit) != 0; }

  static constexpr uint64_t kTimedBit = uint64_t{1} << 55;
  static constexpr uint64_t kObjectMask = kTimedBit - 1;
};

// The last condition variables a thread signalled or broadcast: the watchdog's guess at who
// would wake a waiter (used only to explain a hang that is already certain).
struct RecentSignals {
  static constexpr size_t kEntries = 4;
  std::atomic<uintptr_t> condvars[kEntries];
  uint32_t next;

  void remember(uintptr_t condvar) {
    for (const auto& known : condvars) {
      if (known.load(std::memory_order_relaxed) == condvar) return;
    }
    condvars[next++ % kEntries].store(condvar, std::memory_order_relaxed);
  }
  bool contains(uintptr_t condvar) const {
    for (const auto& known : condvars) {
      if (known.load(std::memory_order_relaxed) == condvar) return true;
    }
    return false;
  }
};

// Holds of a thread that another thread ended for it: glibc lets any thread unlock a normal
// mutex, and the unlock releases the owner's hold (a misuse, reported, yet some programs hand
// a mutex over like a semaphore). The unlocking thread posts the hold (lock address and the
// hold's serial); the owner drops it at its next slow path over its held locks (a nested
// request, a condition wait, its end), and the watchdog skips it meanwhile. Full: the hold
// stays, as if never ended.
struct HoldsEndedByOthers {
  static constexpr size_t kEntries = 4;
  static constexpr uintptr_t kClaimed = 1;  // an entry being written
  struct Entry {
    std::atomic<uintptr_t> address;  // 0: free
    std::atomic<uint32_t> serial;
  };
  Entry entries[kEntries];

  // Any thread (under the directory's lock, so the record stays).
  void post(uintptr_t address, uint32_t serial) {
    for (Entry& entry : entries) {
      uintptr_t expected = 0;
      if (!entry.address.compare_exchange_strong(expected, kClaimed, std::memory_order_acquire)) continue;
      entry.serial.store(serial, std::memory_order_relaxed);
      entry.address.store(address, std::memory_order_release);
      return;
    }
  }
  bool any() const {
    for (const Entry& entry : entries) {
      if (entry.address.load(std::memory_order_relaxed) > kClaimed) return true;
    }
    return false;
  }
  // Whether the hold of `address` with `serial` was ended by another thread.
  bool contains(uintptr_t address, uint32_t serial) const {
    for (const Entry& entry : entries) {
      if (entry.address.load(std::memory_order_acquire) == address &&
          entry.serial.load(std::memory_order_relaxed) == serial) {
        return true;
      }
    }
    return false;
  }
  // The owner: calls `drop(address, serial)` for each posted hold, and frees its entry.
  template <typename Drop>
  void take(Drop&& drop) {
    for (Entry& entry : entries) {
      const uintptr_t address = entry.address.load(std::memory_order_acquire);
      if (address <= kClaimed) continue;
      drop(address, entry.serial.load(std::memory_order_relaxed));
      entry.address.store(0, std::memory_order_release);
    }
  }
};

// What other threads read of a thread (the directory, the watchdog, evidence look-ups), and
// all that is kept of a thread that ended holding locks: a few KiB instead of its caches.
struct ThreadRecord {
  static constexpr size_t kMaxHeld = 64;

  BlockingOperation blocked;  // first: the fast path touches it and held[0..1] in one line
  uint32_t number;            // 1, 2, ... in the order lockwatch first saw the threads; never reused
  pid_t tid;
  uint32_t held_count;
  uint32_t acquisitions;        // numbers HeldLock::serial
  uint32_t untracked_held;      // acquisitions past kMaxHeld, not tracked
  HeldLock held[kMaxHeld + 1];  // the last slot stages a request past kMaxHeld
  uintptr_t self;               // its pthread_t, which joins name it by
  std::atomic<bool> exited;     // a record kept after its thread ended holding locks for good
  RecentSignals signals;
  HoldsEndedByOthers ended_by_others;
  ThreadRecord* next_listed;  // ThreadDirectory's list
  ThreadRecord* previous_listed;
};

// New lock-order edges (and new occurrences of edges with gates) the thread found while
// another thread held the lock-order graph: rather than wait for it, the thread keeps them
// here and adds them at its next chance (see Detector::check_edge). The lock lets another
// thread add them for it (the watchdog, the process's exit); `count` is read without it to
// tell that there is nothing to add.
struct PendingEdges {
  static constexpr size_t kCapacity = 16;
  SpinLock lock;
  std::atomic<uint32_t> count;
  EdgeOccurrence edges[kCapacity];
};

// A live thread: its record and the caches its fast path uses.
struct ThreadState : ThreadRecord {
  PendingEdges pending_edges;
  KnownEdgeCache known_edges;
  KnownNestingCache known_nestings;
  AcquisitionSiteCache sites;
  ThreadProfile profile;
};

}  // namespace lockwatch

// LockRegistry: the identity of every lock lockwatch has seen, keyed by its address.
// A LockId is a dense index plus a generation: destroying a lock (or initialising it again, or
// releasing the thread stack that held it) bumps the generation, so ids of the dead lock never alias the new lock
// at the same address, and edges recorded for it can never join a cycle with its successor.
// Indexes are dense (a freed one is reused first), so the tables indexed by them (the lock
// records here, the graph's nodes and search arrays) touch memory in proportion to the locks
// alive, not one page per lock as an index spread by hashing would.
// The address table is open-addressed with linear probing and fixed capacity (kCapacity slots,
// reserved lazily: untouched pages cost nothing); the locks of one 4 KiB page of the program
// hash next to each other, so a page of locks touches one or two pages of the table, not one
// page per lock. Lookups
// are lock-free; inserts and removals take a SpinLock; a removal leaves a tombstone only where
// a probe chain continues past it. Past kMaxLocks live locks new ones are not tracked (lookup
// returns an invalid id).
// A LockAddressFilter beside the table answers "may this memory hold a tracked lock?" for
// memory being released (an ended thread's stack), so that locks that die without a destroy
// call are forgotten too.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "lock_address_filter.h"
#include "page_grouped_slot.h"
#include "spin_lock.h"
#include "stack_depot.h"

namespace lockwatch {

// What a synchronization object is. The first five are locks (nodes of the lock-order
// graph); the others appear in findings only.
enum class LockKind : uint8_t {
  // The first four are glibc's mutex types in its own order, so the shim turns a mutex's type
  // bits into its kind with one AND.
  mutex,
  recursive_mutex,
  errorcheck_mutex,
  adaptive_mutex,  // reported as "mutex": it behaves like one
  rwlock,
  spinlock,
  condvar,
  barrier,
  semaphore,
};

const char* lock_kind_name(LockKind kind);

// How a lock is held or requested. `read` is a shared hold of a reader-preferring rwlock:
// readers never wait for readers. Everything else, writer-preferring read locks included,
// is `exclusive`.
enum class LockMode : uint8_t { exclusive, read };

// Whether a request in mode `requested` waits for a holder in mode `held`.
inline bool modes_conflict(LockMode requested, LockMode held) {
  return requested != LockMode::read || held != LockMode::read;
}

// One 64-bit word (generation << 32 | index): it travels in a register, never as two halves
// through memory (which stalls store forwarding on the fast path).
class LockId {
 public:
  constexpr LockId() = default;
  constexpr LockId(uint32_t index, uint32_t generation) : packed_((uint64_t{generation} << 32) | index) {}

  uint32_t index() const { return static_cast<uint32_t>(packed_); }
  uint32_t generation() const { return static_cast<uint32_t>(packed_ >> 32); }  // 0: invalid
  bool valid() const { return generation() != 0; }
  uint64_t packed() const { return packed_; }
  friend bool operator==(LockId a, LockId b) { return a.packed_ == b.packed_; }

 private:
  uint64_t packed_ = 0;
};

struct LockInfo {
  uintptr_t address;
  LockKind kind;
  StackId first_use;  // where it was initialised, or first locked when it never was
  uint32_t first_thread;
};

class LockRegistry {
 public:
  static constexpr size_t kCapacityBits = 21;
  static constexpr size_t kCapacity = size_t{1} << kCapacityBits;
  static constexpr size_t kMaxLocks = kCapacity / 10 * 7;  // LockId::index() < kMaxLocks

  LockRegistry();
  LockRegistry(const LockRegistry&) = delete;
  LockRegistry& operator=(const LockRegistry&) = delete;

  // Thread-safe, lock-free. The id of the live lock at `address`, or an invalid id.
  LockId find(uintptr_t address) const {
    for (size_t i = home_slot(address), probes = 0; probes < kCapacity; i = (i + 1) & (kCapacity - 1), ++probes) {
      const uintptr_t key = slots_[i].address.load(std::memory_order_acquire);
      if (key == address) {
        const uint32_t index = slots_[i].index.load(std::memory_order_acquire);
        return LockId(index, records_[index].generation.load(std::memory_order_acquire));
      }
      if (key == 0) break;
    }
    return {};
  }
  // Thread-safe. The id of the lock at `address`, registering it (with its first-use stack
  // and thread) when it is new. Invalid only when the table is full.
  LockId find_or_insert(uintptr_t address, LockKind kind, StackId first_use, uint32_t thread);
  // Thread-safe. Forgets the lock at `address` (it was destroyed or re-initialised); returns
  // the id it had, or an invalid id when it was not tracked.
  LockId remove(uintptr_t address);
  // Thread-safe. Whether [begin, end) may hold a tracked lock (a few loads; see
  // LockAddressFilter). When true, remove_range gives the precise answer.
  bool may_hold_locks(uintptr_t begin, uintptr_t end) const { return filter_.may_hold(begin, end); }
  // Thread-safe. Forgets every lock in [begin, end) (memory released with the locks in it),
  // calling `on_removed(id)` with the id each had. Locks are looked for at every 4-byte
  // boundary (the alignment of the smallest lock, a spinlock) of the granules the filter
  // cannot clear (a load per page of the range); a range of more pages than the table has
  // slots is scanned slot by slot instead.
  template <typename OnRemoved>
  void remove_range(uintptr_t begin, uintptr_t end, OnRemoved&& on_removed) {
    constexpr uintptr_t kGranule = uintptr_t{1} << LockAddressFilter::kGranuleShift;
    constexpr uintptr_t kPage = uintptr_t{1} << LockAddressFilter::kPageShift;
    if ((end - begin) / kPage > kCapacity) {
      for (size_t i = 0; i < kCapacity; ++i) {
        const uintptr_t address = slots_[i].address.load(std::memory_order_acquire);
        if (address >= begin && address < end) remove_one(address, on_removed);
      }
      return;
    }
    for (uintptr_t granule = begin & ~(kGranule - 1); granule < end; granule += kGranule) {
      if ((granule & (kPage - 1)) == 0 && !filter_.may_hold(granule, granule + kPage < end ? granule + kPage : end)) {
        granule += kPage - kGranule;  // one load clears the page
        continue;
      }
      if (!filter_.may_hold(granule)) continue;
      const uintptr_t first = granule < begin ? (begin + kLockAlignment - 1) & ~(kLockAlignment - 1) : granule;
      for (uintptr_t address = first; address < granule + kGranule && address < end; address += kLockAlignment) {
        if (find(address).valid()) remove_one(address, on_removed);
      }
    }
  }
  // Thread-safe. What is known about `id`; false when `id` is stale (the lock is gone).
  bool info(LockId id, LockInfo& out) const;
  // Thread-safe, lock-free. Whether `id` (valid) still names a live lock.
  bool is_current(LockId id) const {
    return records_[id.index()].generation.load(std::memory_order_acquire) == id.generation();
  }
  // Thread-safe. Locks tracked now.
  size_t live() const { return live_.load(std::memory_order_relaxed); }
  // Thread-safe. How many locks have left the registry so far: while it stays the same, an
  // address looked up twice names the same lock (read it before the look-ups it vouches for).
  uint64_t removals() const { return removals_.load(std::memory_order_acquire); }

  // fork(): see Detector::lock_for_fork.
  void lock_for_fork() { insert_lock_.lock(); }
  void unlock_after_fork() { insert_lock_.unlock(); }

 private:
  struct Slot {
    std::atomic<uintptr_t> address;  // 0 empty, kTombstone removed
    std::atomic<uint32_t> index;     // into records_
  };
  // By LockId::index. The generation is bumped when the lock goes, and again when the index
  // is given to a new lock.
  struct Record {
    std::atomic<uint32_t> generation;
    LockKind kind;
    uint32_t first_thread;
    StackId first_use;
    std::atomic<uintptr_t> address;
  };
  static constexpr uintptr_t kTombstone = 1;
  static constexpr uintptr_t kLockAlignment = 4;

  template <typename OnRemoved>
  void remove_one(uintptr_t address, OnRemoved& on_removed) {
    if (const LockId id = remove(address); id.valid()) on_removed(id);
  }
  static size_t home_slot(uintptr_t address) { return page_grouped_slot(address, kCapacityBits); }

  SpinLock insert_lock_;
  Slot* slots_;
  Record* records_;
  uint32_t* free_indexes_;  // a stack of indexes given back, reused first; under insert_lock_
  size_t free_count_ = 0;
  size_t next_index_ = 0;  // indexes never used yet start here
  LockAddressFilter filter_;
  std::atomic<size_t> live_{0};
  alignas(64) std::atomic<uint64_t> removals_{0};  // apart from live_: read by every thread, written rarely
};

}  // namespace lockwatch

// LockProfile: the contention and hold-time profile, per lock and per acquisition site.
//
// Per lock, a record in a lock-free table (address -> record, never removed) counts
// acquisitions (reads apart), owner changes, contended acquisitions with their wait times,
// sampled hold times, and the condition waits and wake-ups on condvars used with it. Exclusive
// acquisitions update their lock's record while they hold the lock, so the lock itself
// serialises those plain read-and-write updates, and a thread that keeps taking its own lock
// reads the owner field without writing it: the uncontended path writes no cache line that
// another thread writes unless the lock itself moves. Read acquisitions, which run together,
// use atomic adds. Per call site, each thread counts its acquisitions in its ThreadProfile;
// the counts are merged into the site records when an entry is reused, when the thread ends,
// and when the profile is written. Times are CLOCK_MONOTONIC (vDSO: no system call): read
// around contended acquisitions only (the lock's memory showed it taken), and around the holds
// that follow them, each thread's first hold of each lock (its record was not at hand), and
// one hold in `profile_sample` other acquisitions per thread.
// Limits: 2^20 lock records (64 bytes each, dense in creation order) and 2^16 site records;
// past that, locks or sites go unprofiled (counted). A lock destroyed and another created at
// the same address share a record.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "lock_registry.h"
#include "spin_lock.h"
#include "stack_depot.h"

namespace lockwatch {

// Log-scale histogram of durations: bucket i counts [2^i, 2^(i+1)) ns.
struct LatencyHistogram {
  static constexpr size_t kBuckets = 40;
  std::atomic<uint32_t> buckets[kBuckets];

  void add(uint64_t ns);
  // The upper bound of the bucket holding the `fraction` quantile; 0 when empty.
  uint64_t quantile(double fraction) const;
};

struct LockHistograms {
  LatencyHistogram wait;
  LatencyHistogram hold;
};

// The timed events of a lock or a site: contended acquisitions with their waits, and the
// holds that were timed. Atomic adds: they come from any thread, on slow paths only.
struct TimedCounters {
  std::atomic<uint64_t> contended;
  std::atomic<uint64_t> wait_total_ns;
  std::atomic<uint64_t> wait_max_ns;
  std::atomic<uint64_t> hold_samples;
  std::atomic<uint64_t> hold_total_ns;
  std::atomic<uint64_t> hold_max_ns;

  void add_wait(uint64_t wait_ns);
  void add_hold(uint64_t hold_ns);
  // Copies them into a report row (LockProfileRow or SiteProfileRow).
  template <typename Row>
  void copy_to(Row& row) const {
    row.contended = contended.load(std::memory_order_relaxed);
    row.wait_total_ns = wait_total_ns.load(std::memory_order_relaxed);
    row.wait_max_ns = wait_max_ns.load(std::memory_order_relaxed);
    row.hold_samples = hold_samples.load(std::memory_order_relaxed);
    row.hold_total_ns = hold_total_ns.load(std::memory_order_relaxed);
    row.hold_max_ns = hold_max_ns.load(std::memory_order_relaxed);
  }
};

// What is known of a lock's timed events (contended acquisitions, sampled holds) and condition
// waits: a block of its own, made at the first that the lock record cannot keep (it keeps the
// first sampled hold), so that the many locks that never wait cost one cache line each.
struct LockTimes {
  TimedCounters timed;
  std::atomic<uint32_t> cond_waits;
  std::atomic<uint32_t> cond_wakeups;
  std::atomic<uint64_t> cond_wait_total_ns;  // in condition waits that released it
  std::atomic<uint64_t> cond_wait_max_ns;
  std::atomic<LockHistograms*> histograms;  // from its first contended acquisition on
  // The sites seen most in its timed events.
  std::atomic<StackId> hot_sites[2];
  std::atomic<uint32_t> hot_counts[2];
};

// What is known of one lock. Exclusive updates hold the lock; read ones are atomic adds.
struct alignas(64) LockRecord {
  std::atomic<uintptr_t> address;  // 0: a free slot
  std::atomic<uint32_t> owner;     // number of the thread that acquired it last
  std::atomic<StackId> created_at;
  std::atomic<uint8_t> kind;
  std::atomic<StackId> first_hold_site;  // where first_hold_ns (below) was taken
  std::atomic<uint64_t> acquisitions;    // exclusive ones (plain stores, under the lock)
  std::atomic<uint64_t> reads;           // read ones (atomic adds, a batch at a time)
  std::atomic<uint64_t> owner_changes;
  std::atomic<LockTimes*> times;  // null until a contended wait, a second sampled hold, or a condition wait
  // Its first sampled hold (ns, at least 1) while it has no `times`: every lock's first hold is
  // timed, and a block for each would double the memory of a program's many quiet locks.
  std::atomic<uint64_t> first_hold_ns;
};
static_assert(sizeof(LockRecord) == 64, "a lock record is one cache line");

// What is known of one acquisition site, across every lock taken there.
struct SiteRecord {
  std::atomic<StackId> site;  // kNoStack: a free slot
  std::atomic<uint64_t> acquisitions;
  std::atomic<uint64_t> owner_changes;
  TimedCounters timed;
};

// One thread's side of the profile: plain data in its ThreadState, touched by it alone
// (except the racy reads of `sites` and of pending reads when a profile is written while it
// runs).
struct ThreadProfile {
  static constexpr size_t kRecordCacheEntries = 64;
  static constexpr size_t kSiteEntries = 128;
  static constexpr uint32_t kReadBatch = 64;
  struct CachedRecord {
    uintptr_t address;
    LockRecord* record;
  };
  struct SiteCount {
    StackId site;
    std::atomic<uint32_t> acquisitions;
    std::atomic<uint32_t> owner_changes;
  };
  // Fast path: the record of the lock at `address` when this thread has it at hand.
  LockRecord* cached(uintptr_t address) const {
    const CachedRecord& entry = records[slot_of(address)];
    return entry.address == address ? entry.record : nullptr;
  }
  static size_t slot_of(uintptr_t address) { return (address >> 4) % kRecordCacheEntries; }
  CachedRecord records[kRecordCacheEntries];
  // By the slot of `records`: read acquisitions of its lock not yet added to the record.
  // Readers run together, and adding each read to the shared record would move its cache line
  // between them on every one: added kReadBatch at a time, when the entry is reused and when
  // the thread ends.
  std::atomic<uint32_t> pending_reads[kRecordCacheEntries];
  SiteCount sites[kSiteEntries];
  uint32_t since_sample;     // acquisitions since the last sampled hold
  uintptr_t sampled_lock;    // the lock whose hold is being timed; 0 for none
  uint32_t sampled_serial;   // ... in this acquisition of it
  StackId sampled_site;
  uint64_t sampled_since_ns;
};

// A consistent copy for reports.
struct LockProfileRow {
  uintptr_t address;
  LockKind kind;
  StackId created_at;
  uint64_t acquisitions, reads, owner_changes, contended;
  uint64_t wait_total_ns, wait_max_ns, wait_p50_ns, wait_p99_ns;
  uint64_t hold_samples, hold_total_ns, hold_max_ns, hold_p50_ns, hold_p99_ns;
  uint32_t cond_waits, cond_wakeups;
  uint64_t cond_wait_total_ns, cond_wait_max_ns;
  StackId hot_sites[2];
  // Time threads were blocked on the lock: waiting for it, or in condition waits with it.
  uint64_t blocked_ns() const { return wait_total_ns + cond_wait_total_ns; }
};

struct SiteProfileRow {
  StackId site;
  uint64_t acquisitions, owner_changes, contended;
  uint64_t wait_total_ns, wait_max_ns;
  uint64_t hold_samples, hold_total_ns, hold_max_ns;
};

// What a report shows: the locks over the threshold, every site, and what went unprofiled.
struct ProfileSnapshot {
  std::vector<LockProfileRow> locks;
  std::vector<SiteProfileRow> sites;
  size_t dropped_locks = 0;
};

class LockProfile {
 public:
  // fork(): see Detector::lock_for_fork (the lock that maps the tables; it takes no other).
  void lock_for_fork() { map_lock_.lock(); }
  void unlock_after_fork() { map_lock_.unlock(); }
  static constexpr unsigned kLockSlotsBits = 20;
  static constexpr size_t kLockSlots = size_t{1} << kLockSlotsBits;
  static constexpr size_t kSiteSlots = size_t{1} << 16;

  LockProfile();
  ~LockProfile();
  LockProfile(const LockProfile&) = delete;
  LockProfile& operator=(const LockProfile&) = delete;

  // The record of the lock at `address`; null when it has none yet. Thread-safe, lock-free.
  LockRecord* find(uintptr_t address) const;
  // The record of the lock at `address`, created (with `kind` and `created_at`, and
  // `*created` set) when new; null when the table is full. Thread-safe, lock-free.
  LockRecord* record(uintptr_t address, LockKind kind, StackId created_at, bool* created = nullptr);
  // The record of `site`, created when new; null when full. Thread-safe, lock-free.
  SiteRecord* site_record(StackId site);

  // Thread-safe. A timed event of `lock` at `site`: a contended acquisition that waited
  // `wait_ns`, or a sampled hold of `hold_ns`. `exclusive`: the caller holds the lock
  // exclusively (plain updates are safe).
  void add_wait(LockRecord& lock, StackId site, uint64_t wait_ns);
  void add_hold(LockRecord& lock, StackId site, uint64_t hold_ns);
  void add_cond_wait(LockRecord& lock, uint64_t wait_ns);
  // Thread-safe. A condition wait that releases `lock` begins; a signal or broadcast wakes
  // waiters that will take `lock` again.
  void count_cond_wait(LockRecord& lock);
  void count_cond_wakeup(LockRecord& lock);
  // Moves the count of one per-thread site entry into its site record and empties it. By
  // the owning thread (reusing the entry, or ending).
  void merge_site(ThreadProfile::SiteCount& entry);

  // Every lock record with at least `min_contended` contended acquisitions or condition
  // waits (all: 0).
  std::vector<LockProfileRow> lock_rows(uint64_t min_contended) const;
  // Every site record, plus the counts live threads still hold in `live`.
  std::vector<SiteProfileRow> site_rows(const std::vector<ThreadProfile::SiteCount*>& live) const;
  size_t dropped_locks() const { return dropped_locks_.load(std::memory_order_relaxed); }
  // In a forked child (one thread): every count back to zero, the records kept (threads'
  // caches point at them), so the child's profile is its own work.
  void clear_counts();

 private:
  // A table of slots and the list of the slots in use (slot + 1, 0 while being written), so
  // that reports read only those: a process's exit must not scan 128 MiB of empty slots.
  template <typename Record>
  struct Table {
    Record* slots = nullptr;
    std::atomic<uint32_t>* used = nullptr;
    std::atomic<uint32_t> used_count{0};
    void note_used(size_t slot) {
      used[used_count.fetch_add(1, std::memory_order_acq_rel)].store(static_cast<uint32_t>(slot + 1),
                                                                      std::memory_order_release);
    }
    template <typename Visit>
    void for_each_used(Visit&& visit) const {
      const uint32_t count = used_count.load(std::memory_order_acquire);
      for (uint32_t i = 0; i < count; ++i) {
        if (const uint32_t slot = used[i].load(std::memory_order_acquire)) visit(slots[slot - 1]);
      }
    }
  };
  // Lock records are dense, in order of creation; an index by address (page_grouped_slot)
  // points at them.
  struct LockSlot {
    std::atomic<uintptr_t> address;
    std::atomic<uint32_t> record;  // its number + 1; 0 while being created
  };
  // The tables are mapped at the first record: a process (or a test's Detector) that profiles
  // nothing reserves nothing.
  bool mapped();
  // Probes of the index stay within 16 pages of it even where a page of the program is packed
  // with locks (1,024 four-byte spinlocks fill four of its 4 KiB regions).
  static constexpr size_t kMaxProbes = 4096;
  SpinLock map_lock_;
  std::atomic<bool> ready_{false};
  bool failed_ = false;  // under map_lock_
  LockSlot* lock_index_ = nullptr;
  std::atomic<uint32_t> next_record_{0};
  Table<LockRecord> locks_;
  Table<SiteRecord> sites_;
  std::atomic<size_t> dropped_locks_{0};
};

// Monotonic nanoseconds (CLOCK_MONOTONIC through the vDSO).
uint64_t monotonic_ns() noexcept;

}  // namespace lockwatch

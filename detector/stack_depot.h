// StackDepot: every distinct call stack lockwatch keeps, stored once and named by a StackId.
// Findings, lock-order edges and acquisition sites hold 4-byte ids instead of frames, so a
// stack seen a million times costs its frames once. Lookups by id are lock-free; inserting a
// new stack takes the depot's SpinLock. Memory comes from the internal allocator (no malloc).
// Limits: at most kCapacity distinct stacks per process; past that, insert returns kNoStack.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "spin_lock.h"

namespace lockwatch {

using StackId = uint32_t;
inline constexpr StackId kNoStack = 0;

class StackDepot {
 public:
  static constexpr size_t kCapacity = size_t{1} << 22;

  StackDepot();
  StackDepot(const StackDepot&) = delete;
  StackDepot& operator=(const StackDepot&) = delete;

  // Thread-safe. Returns the id of `frames`, storing them if they are new. Empty: kNoStack.
  StackId insert(std::span<const uintptr_t> frames);
  // Thread-safe, lock-free. The frames of `id`; empty for kNoStack or an unknown id.
  std::span<const uintptr_t> get(StackId id) const;
  // Thread-safe. How many distinct stacks are stored.
  size_t size() const { return next_id_.load(std::memory_order_acquire) - 1; }

  // fork(): see Detector::lock_for_fork.
  void lock_for_fork() { insert_lock_.lock(); }
  void unlock_after_fork() { insert_lock_.unlock(); }

 private:
  struct Record;
  static constexpr size_t kBuckets = size_t{1} << 16;

  SpinLock insert_lock_;
  std::atomic<Record*>* buckets_;  // hash chains, heads published with release stores
  std::atomic<Record*>* by_id_;    // id -> record
  std::atomic<uint32_t> next_id_{1};
};

}  // namespace lockwatch

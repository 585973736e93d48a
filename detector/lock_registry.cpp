// Open-addressed address -> LockId table; see lock_registry.h.
#include "lock_registry.h"

#include "internal_allocator.h"

namespace lockwatch {

const char* lock_kind_name(LockKind kind) {
  switch (kind) {
    case LockKind::mutex:
      return "mutex";
    case LockKind::recursive_mutex:
      return "recursive_mutex";
    case LockKind::errorcheck_mutex:
      return "errorcheck_mutex";
    case LockKind::adaptive_mutex:
      return "mutex";
    case LockKind::rwlock:
      return "rwlock";
    case LockKind::spinlock:
      return "spinlock";
    case LockKind::condvar:
      return "condvar";
    case LockKind::barrier:
      return "barrier";
    case LockKind::semaphore:
      return "semaphore";
  }
  return "mutex";
}

LockRegistry::LockRegistry()
    : slots_(static_cast<Slot*>(internal_reserve(kCapacity * sizeof(Slot)))),
      records_(static_cast<Record*>(internal_reserve(kMaxLocks * sizeof(Record)))),
      free_indexes_(static_cast<uint32_t*>(internal_reserve(kMaxLocks * sizeof(uint32_t)))) {}

LockId LockRegistry::find_or_insert(uintptr_t address, LockKind kind, StackId first_use, uint32_t thread) {
  if (LockId id = find(address); id.valid()) return id;
  SpinLockGuard guard(insert_lock_);
  size_t reusable = kCapacity;
  for (size_t i = home_slot(address), probes = 0; probes < kCapacity; i = (i + 1) & (kCapacity - 1), ++probes) {
    const uintptr_t key = slots_[i].address.load(std::memory_order_relaxed);
    if (key == address) {
      const uint32_t index = slots_[i].index.load(std::memory_order_relaxed);
      return {index, records_[index].generation.load(std::memory_order_relaxed)};
    }
    if (key == kTombstone && reusable == kCapacity) reusable = i;
    if (key == 0) {
      if (reusable == kCapacity) reusable = i;
      break;
    }
  }
  if (reusable == kCapacity) return {};
  uint32_t index;
  if (free_count_ > 0) {
    index = free_indexes_[--free_count_];
  } else if (next_index_ < kMaxLocks) {
    index = static_cast<uint32_t>(next_index_++);
  } else {
    return {};
  }
  Record& record = records_[index];
  record.kind = kind;
  record.first_use = first_use;
  record.first_thread = thread;
  record.address.store(address, std::memory_order_relaxed);
  uint32_t generation = record.generation.load(std::memory_order_relaxed) + 1;
  if (generation == 0) generation = 1;
  record.generation.store(generation, std::memory_order_release);
  Slot& slot = slots_[reusable];
  slot.index.store(index, std::memory_order_release);
  slot.address.store(address, std::memory_order_release);
  filter_.add(address);
  live_.fetch_add(1, std::memory_order_relaxed);
  return {index, generation};
}

LockId LockRegistry::remove(uintptr_t address) {
  SpinLockGuard guard(insert_lock_);
  for (size_t i = home_slot(address), probes = 0; probes < kCapacity; i = (i + 1) & (kCapacity - 1), ++probes) {
    const uintptr_t key = slots_[i].address.load(std::memory_order_relaxed);
    if (key == address) {
      const uint32_t index = slots_[i].index.load(std::memory_order_relaxed);
      Record& record = records_[index];
      const LockId id{index, record.generation.load(std::memory_order_relaxed)};
      // Bump first, so a racing find() that still sees the address gets a stale id.
      const uint32_t next = id.generation() + 1;
      record.generation.store(next == 0 ? 1 : next, std::memory_order_release);
      record.address.store(0, std::memory_order_relaxed);
      slots_[i].address.store(kTombstone, std::memory_order_release);
      free_indexes_[free_count_++] = index;
      filter_.remove(address);
      live_.fetch_sub(1, std::memory_order_relaxed);
      removals_.store(removals_.load(std::memory_order_relaxed) + 1, std::memory_order_release);  // under insert_lock_
      // A tombstone that ends its probe chain guards nothing: clear it, and those before it,
      // so that churn of short-lived locks never fills the table with tombstones.
      if (slots_[(i + 1) & (kCapacity - 1)].address.load(std::memory_order_relaxed) == 0) {
        for (size_t j = i; slots_[j].address.load(std::memory_order_relaxed) == kTombstone;
             j = (j + kCapacity - 1) & (kCapacity - 1)) {
          slots_[j].address.store(0, std::memory_order_release);
        }
      }
      return id;
    }
    if (key == 0) break;
  }
  return {};
}

bool LockRegistry::info(LockId id, LockInfo& out) const {
  if (!id.valid() || id.index() >= kMaxLocks) return false;
  const Record& record = records_[id.index()];
  out.address = record.address.load(std::memory_order_acquire);
  out.kind = record.kind;
  out.first_use = record.first_use;
  out.first_thread = record.first_thread;
  return record.generation.load(std::memory_order_acquire) == id.generation();
}

}  // namespace lockwatch

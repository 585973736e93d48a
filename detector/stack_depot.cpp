// Hash-chained, append-only stack store; see stack_depot.h.
#include "stack_depot.h"

#include <cstring>

#include "internal_allocator.h"

namespace lockwatch {

struct StackDepot::Record {
  Record* next_in_bucket;
  uint64_t hash;
  uint32_t size;
  uintptr_t frames[1];  // `size` frames follow

  static size_t bytes_for(size_t size) { return offsetof(Record, frames) + size * sizeof(uintptr_t); }
};

namespace {

uint64_t hash_frames(std::span<const uintptr_t> frames) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (uintptr_t frame : frames) {
    hash ^= frame;
    hash *= 0x100000001b3ull;
    hash ^= hash >> 29;
  }
  return hash ^ frames.size();
}

}  // namespace

StackDepot::StackDepot()
    : buckets_(static_cast<std::atomic<Record*>*>(internal_reserve(kBuckets * sizeof(std::atomic<Record*>)))),
      by_id_(static_cast<std::atomic<Record*>*>(internal_reserve(kCapacity * sizeof(std::atomic<Record*>)))) {}

StackId StackDepot::insert(std::span<const uintptr_t> frames) {
  if (frames.empty()) return kNoStack;
  const uint64_t hash = hash_frames(frames);
  std::atomic<Record*>& bucket = buckets_[hash % kBuckets];
  auto find = [&]() -> StackId {
    for (Record* r = bucket.load(std::memory_order_acquire); r != nullptr; r = r->next_in_bucket) {
      if (r->hash == hash && r->size == frames.size() && memcmp(r->frames, frames.data(), frames.size_bytes()) == 0) {
        return static_cast<StackId>(r->frames[r->size]);  // the id is stored after the frames
      }
    }
    return kNoStack;
  };
  if (StackId existing = find()) return existing;

  SpinLockGuard guard(insert_lock_);
  if (StackId existing = find()) return existing;
  const uint32_t id = next_id_.load(std::memory_order_relaxed);
  if (id >= kCapacity) return kNoStack;
  auto* record = static_cast<Record*>(internal_allocate(Record::bytes_for(frames.size() + 1)));
  record->hash = hash;
  record->size = static_cast<uint32_t>(frames.size());
  memcpy(record->frames, frames.data(), frames.size_bytes());
  record->frames[frames.size()] = id;
  record->next_in_bucket = bucket.load(std::memory_order_relaxed);
  by_id_[id].store(record, std::memory_order_release);
  bucket.store(record, std::memory_order_release);
  next_id_.store(id + 1, std::memory_order_release);
  return id;
}

std::span<const uintptr_t> StackDepot::get(StackId id) const {
  if (id == kNoStack || id >= kCapacity) return {};
  const Record* record = by_id_[id].load(std::memory_order_acquire);
  if (record == nullptr) return {};
  return {record->frames, record->size};
}

}  // namespace lockwatch

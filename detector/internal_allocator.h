// InternalAllocator: memory for the detector's tables, taken straight from mmap.
// lockwatch runs inside pthread_mutex_lock calls made by allocators (glibc, jemalloc, tcmalloc
// lock pthread mutexes inside malloc), so nothing on its lock paths may call malloc: a thread
// inside malloc that re-enters malloc deadlocks on the allocator's own lock. Blocks come from
// size-class free lists refilled from mmap'd chunks, guarded by a SpinLock; memory is reused,
// never returned to the system. Reserve() hands out large zero-filled regions (tables) whose
// pages the kernel only backs when touched.
#pragma once

#include <cstddef>

namespace lockwatch {

// Thread-safe. Returns zeroed memory aligned to its size class (a power of two, at most a
// page); aborts only if the system refuses mmap.
void* internal_allocate(size_t bytes);
// Thread-safe. `bytes` must be the size given to internal_allocate.
void internal_free(void* block, size_t bytes);
// Thread-safe. A zero-filled, page-aligned region of `bytes`, backed lazily; never freed.
void* internal_reserve(size_t bytes);
// Gives the pages of a reserved region back to the system. The region stays mapped and reads
// as zeros from then on, so a lock-free reader still inside it reads empty slots, never faults.
void internal_discard(void* region, size_t bytes);

// fork(): see Detector::lock_for_fork.
void internal_allocator_lock_for_fork();
void internal_allocator_unlock_after_fork();

template <typename T, typename... Args>
T* internal_new(Args&&... args) {
  return new (internal_allocate(sizeof(T))) T(static_cast<Args&&>(args)...);
}

template <typename T>
void internal_delete(T* object) {
  object->~T();
  internal_free(object, sizeof(T));
}

}  // namespace lockwatch

namespace lockwatch {

// Standard-library allocator over internal_allocate, for containers used on lock paths.
template <typename T>
struct InternalStlAllocator {
  using value_type = T;
  InternalStlAllocator() = default;
  template <typename U>
  InternalStlAllocator(const InternalStlAllocator<U>&) noexcept {}
  T* allocate(size_t count) { return static_cast<T*>(internal_allocate(count * sizeof(T))); }
  void deallocate(T* block, size_t count) noexcept { internal_free(block, count * sizeof(T)); }
  template <typename U>
  friend bool operator==(const InternalStlAllocator&, const InternalStlAllocator<U>&) noexcept {
    return true;
  }
};

}  // namespace lockwatch

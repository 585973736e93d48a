// Size-class allocator on top of mmap; see internal_allocator.h for why malloc is off limits.
#include "internal_allocator.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "spin_lock.h"

namespace lockwatch {
namespace {

constexpr size_t kMinClassShift = 4;   // 16 bytes
constexpr size_t kMaxClassShift = 16;  // 64 KiB; larger blocks are mmap'd on their own
constexpr size_t kChunkBytes = 1 << 20;
constexpr uintptr_t kPageBytes = 4096;

struct FreeBlock {
  FreeBlock* next;
};

struct Pools {
  SpinLock lock;
  FreeBlock* free_lists[kMaxClassShift + 1] = {};
  char* chunk_cursor = nullptr;
  char* chunk_end = nullptr;
};

Pools& pools() {
  // Constant-initialised: usable before any constructor has run.
  static constinit Pools instance;
  return instance;
}

size_t class_shift(size_t bytes) {
  size_t shift = kMinClassShift;
  while ((size_t{1} << shift) < bytes) ++shift;
  return shift;
}

void* map_or_die(size_t bytes) {
  void* region = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED) {
    static const char message[] = "lockwatch: fatal: out of memory (mmap failed)\n";
    (void)!write(2, message, sizeof message - 1);
    abort();
  }
  return region;
}

}  // namespace

void* internal_reserve(size_t bytes) {
  return map_or_die(bytes);
}

void internal_discard(void* region, size_t bytes) {
  madvise(region, bytes, MADV_DONTNEED);
}

void* internal_allocate(size_t bytes) {
  if (bytes == 0) bytes = 1;
  const size_t shift = class_shift(bytes);
  if (shift > kMaxClassShift) return map_or_die(bytes);
  const size_t block_bytes = size_t{1} << shift;
  Pools& p = pools();
  SpinLockGuard guard(p.lock);
  if (FreeBlock* block = p.free_lists[shift]) {
    p.free_lists[shift] = block->next;
    memset(block, 0, block_bytes);
    return block;
  }
  // Blocks are aligned to their size (up to a page), so any type with alignment up to its
  // size class fits.
  const uintptr_t alignment = block_bytes < kPageBytes ? block_bytes : kPageBytes;
  if (p.chunk_cursor != nullptr) {
    p.chunk_cursor =
        reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(p.chunk_cursor) + alignment - 1) & ~(alignment - 1));
  }
  if (p.chunk_cursor == nullptr || p.chunk_cursor + block_bytes > p.chunk_end) {
    p.chunk_cursor = static_cast<char*>(map_or_die(kChunkBytes));
    p.chunk_end = p.chunk_cursor + kChunkBytes;
  }
  void* block = p.chunk_cursor;
  p.chunk_cursor += block_bytes;
  return block;  // fresh mmap memory is already zero
}

void internal_free(void* block, size_t bytes) {
  if (block == nullptr) return;
  if (bytes == 0) bytes = 1;
  const size_t shift = class_shift(bytes);
  if (shift > kMaxClassShift) {
    munmap(block, bytes);
    return;
  }
  Pools& p = pools();
  SpinLockGuard guard(p.lock);
  auto* free_block = static_cast<FreeBlock*>(block);
  free_block->next = p.free_lists[shift];
  p.free_lists[shift] = free_block;
}

void internal_allocator_lock_for_fork() { pools().lock.lock(); }
void internal_allocator_unlock_after_fork() { pools().lock.unlock(); }

}  // namespace lockwatch

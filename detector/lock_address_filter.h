// LockAddressFilter: which 64-byte granules of memory may hold a lock the registry tracks, so
// that memory being released (an ended thread's stack, which glibc hands to the next thread)
// can tell in one load per 4 KiB that no tracked lock died with it. Without that, a std::mutex
// (which is never destroyed through a pthread call) in a dead thread's frame and a new one
// later made at the same address would share the dead lock's edges: a false
// lock_order_inversion.
// Pages hash to kLines lines; a line has a 64-bit mask (bit g: granule g of the page may hold a
// lock), which is all a release reads, and 64 saturating 8-bit counts that keep the mask exact as
// locks come and go. Masks and counts change under the registry's insert lock and are read
// without any lock. A set bit may be a collision between pages, which costs the caller a
// precise look in the registry, never a wrong answer. A count that reached 255 stays there.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "internal_allocator.h"

namespace lockwatch {

class LockAddressFilter {
 public:
  static constexpr unsigned kGranuleShift = 6;
  static constexpr unsigned kPageShift = 12;
  static constexpr size_t kLineBits = 16;
  static constexpr size_t kLines = size_t{1} << kLineBits;
  static constexpr size_t kGranulesPerPage = size_t{1} << (kPageShift - kGranuleShift);

  LockAddressFilter()
      : masks_(static_cast<std::atomic<uint64_t>*>(internal_reserve(kLines * sizeof(uint64_t)))),
        counts_(static_cast<uint8_t*>(internal_reserve(kLines * kGranulesPerPage))) {}
  LockAddressFilter(const LockAddressFilter&) = delete;
  LockAddressFilter& operator=(const LockAddressFilter&) = delete;

  // Callers serialise add and remove (the registry's insert lock).
  void add(uintptr_t address) {
    const size_t line = line_of(address >> kPageShift);
    const unsigned granule = granule_of(address);
    uint8_t& count = counts_[line * kGranulesPerPage + granule];
    if (count != 255) ++count;
    masks_[line].store(masks_[line].load(std::memory_order_relaxed) | (uint64_t{1} << granule),
                       std::memory_order_relaxed);
  }
  void remove(uintptr_t address) {
    const size_t line = line_of(address >> kPageShift);
    const unsigned granule = granule_of(address);
    uint8_t& count = counts_[line * kGranulesPerPage + granule];
    if (count == 255 || count == 0 || --count != 0) return;
    masks_[line].store(masks_[line].load(std::memory_order_relaxed) & ~(uint64_t{1} << granule),
                       std::memory_order_relaxed);
  }
  // Thread-safe. Whether the granule of `address` may hold a tracked lock.
  bool may_hold(uintptr_t address) const {
    return (masks_[line_of(address >> kPageShift)].load(std::memory_order_relaxed) >> granule_of(address)) & 1;
  }
  // Thread-safe. Whether [begin, end) (non-empty) may hold a tracked lock: one load per page.
  bool may_hold(uintptr_t begin, uintptr_t end) const {
    const uintptr_t last = end - 1;
    if (__builtin_expect(begin >> kPageShift == last >> kPageShift, 1)) {  // most blocks
      const uint64_t granules = (~uint64_t{0} << granule_of(begin)) &
                                (~uint64_t{0} >> (kGranulesPerPage - 1 - granule_of(last)));
      return masks_[line_of(begin >> kPageShift)].load(std::memory_order_relaxed) & granules;
    }
    for (uintptr_t page = begin >> kPageShift; page <= last >> kPageShift; ++page) {
      uint64_t granules = ~uint64_t{0};
      if (page == begin >> kPageShift) granules &= ~uint64_t{0} << granule_of(begin);
      if (page == last >> kPageShift) granules &= ~uint64_t{0} >> (kGranulesPerPage - 1 - granule_of(last));
      if (masks_[line_of(page)].load(std::memory_order_relaxed) & granules) return true;
    }
    return false;
  }

 private:
  static size_t line_of(uintptr_t page) { return (page * 0x9e3779b97f4a7c15ull) >> (64 - kLineBits); }
  static unsigned granule_of(uintptr_t address) {
    return static_cast<unsigned>((address >> kGranuleShift) & (kGranulesPerPage - 1));
  }

  std::atomic<uint64_t>* masks_;  // 512 KiB
  uint8_t* counts_;               // 4 MiB
};

}  // namespace lockwatch

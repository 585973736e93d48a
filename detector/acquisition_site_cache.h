// AcquisitionSiteCache: a thread's memory of the stacks it acquired locks from.
// Every acquisition needs its full stack as evidence (a later edge may name this lock as the
// held one), but unwinding costs microseconds. So each thread remembers, per call path, the
// stack unwound there: an entry is keyed by the call site (return address + caller stack
// pointer) and, before it is reused, the return addresses stored in the next kVerifiedFrames
// frames of the live stack are read back: the same call path reads back the same words; a
// different caller at the same depth does not (x86-64; elsewhere the call site alone is
// trusted). Frames beyond the verified ones are assumed unchanged.
// Entries are kWays-way set-associative: one lock call reached alternately from two callers
// at the same depth (a function called from two places in a loop) is two call paths with one
// key, and in a direct-mapped cache each would evict the other and unwind on every call.
// Plain data: lives in a thread's own state, touched only by that thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "call_site.h"
#include "stack_depot.h"

namespace lockwatch {

class AcquisitionSiteCache {
 public:
  static constexpr size_t kWays = 4;
  static constexpr size_t kSets = 64;
  static constexpr size_t kVerifiedFrames = 4;

  // Not thread-safe: the owning thread only. The stack of the call at `site`, unwound (at
  // most `max_depth` frames) and stored in `depot` when the cache cannot vouch for it.
  StackId stack_for(CallSite site, size_t max_depth, StackDepot& depot) {
    const StackId* cached = find(site);
    return cached != nullptr ? *cached : unwind(victim_for(site), site, max_depth, depot);
  }
  // The cached stack of the call at `site`, or null when it has to be unwound.
  const StackId* find(CallSite site) const {
    const Entry* set = sets_[set_index(site)];
    for (size_t way = 0; way < kWays; ++way) {
      const Entry& entry = set[way];
      if (entry.return_address == site.return_address && entry.caller_stack_pointer == site.caller_stack_pointer &&
          still_valid(entry)) {
        return &entry.stack;
      }
    }
    return nullptr;
  }

  size_t unwinds() const { return unwinds_; }

 private:
  // One cache line. An empty entry (return address 0) never matches a real call site.
  struct alignas(64) Entry {
    uintptr_t return_address;
    uintptr_t caller_stack_pointer;
    uintptr_t expected_return_addresses[kVerifiedFrames];
    int16_t slot_offsets[kVerifiedFrames];  // from the caller's stack pointer
    StackId stack;
  };

  static size_t set_index(CallSite site) {
    // Return addresses alone spread well; the stack pointer separates call paths through them.
    return (site.return_address ^ (site.caller_stack_pointer >> 4)) % kSets;
  }
  // The entry a new call path at `site` takes: an empty way of its set, or else each way in turn.
  Entry& victim_for(CallSite site) {
    Entry* set = sets_[set_index(site)];
    for (size_t way = 0; way < kWays; ++way) {
      if (set[way].return_address == 0) return set[way];
    }
    return set[unwinds_ % kWays];
  }
  // Reads words of the live stack that the unwinder located; sanitizers must not object.
  __attribute__((no_sanitize("address", "thread"))) static bool still_valid(const Entry& entry) {
#if defined(__x86_64__)
    static_assert(kVerifiedFrames == 4, "the check below is unrolled for four frames");
    auto differs = [&entry](size_t i) {
      return *reinterpret_cast<const uintptr_t*>(entry.caller_stack_pointer + entry.slot_offsets[i]) ^
             entry.expected_return_addresses[i];
    };
    return (differs(0) | differs(1) | differs(2) | differs(3)) == 0;
#else
    return true;  // elsewhere the cache trusts the call site (return address + stack pointer)
#endif
  }
  // Slow path: a new site, or a different call path through a known one.
  __attribute__((noinline, cold)) StackId unwind(Entry& entry, CallSite site, size_t max_depth, StackDepot& depot);

  Entry sets_[kSets][kWays];
  size_t unwinds_;
};

}  // namespace lockwatch

// AcquisitionSiteCache: a thread's memory of the stacks it acquired locks from.
// Every acquisition needs its full stack as evidence (a later edge may name this lock as the
// held one), but unwinding costs microseconds. So each thread remembers, per call site (return
// address + caller stack pointer), the stack last unwound there, and before reusing it checks
// the return addresses stored in the next kVerifiedFrames frames of the live stack: the same
// call path reads back the same words; a different caller at the same depth does not, and is
// unwound afresh (x86-64; elsewhere the call site alone is trusted). Frames beyond the
// verified ones are assumed unchanged. Plain data: lives in a thread's own state, touched
// only by that thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "call_site.h"
#include "stack_depot.h"

namespace lockwatch {

class AcquisitionSiteCache {
 public:
  static constexpr size_t kEntries = 128;
  static constexpr size_t kVerifiedFrames = 4;

  // Not thread-safe: the owning thread only. The stack of the call at `site`, unwound (at
  // most `max_depth` frames) and stored in `depot` when the cache cannot vouch for it.
  StackId stack_for(CallSite site, size_t max_depth, StackDepot& depot) {
    const StackId* cached = find(site);
    return cached != nullptr ? *cached : unwind(entry_for(site), site, max_depth, depot);
  }
  // The cached stack of the call at `site`, or null when it has to be unwound.
  const StackId* find(CallSite site) const {
    const Entry& entry = entry_for(site);
    const bool hit = entry.return_address == site.return_address &&
                     entry.caller_stack_pointer == site.caller_stack_pointer && still_valid(entry);
    return hit ? &entry.stack : nullptr;
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

  size_t index_for(CallSite site) const {
    // Return addresses alone spread well; the stack pointer separates call paths through them.
    return (site.return_address ^ (site.caller_stack_pointer >> 4)) % kEntries;
  }
  Entry& entry_for(CallSite site) { return entries_[index_for(site)]; }
  const Entry& entry_for(CallSite site) const { return entries_[index_for(site)]; }
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

  Entry entries_[kEntries];
  size_t unwinds_;
};

}  // namespace lockwatch

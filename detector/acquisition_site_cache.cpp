// Per-thread, verified cache of acquisition stacks; see acquisition_site_cache.h.
#include "acquisition_site_cache.h"

#include "reentrancy.h"
#include "stack_capture.h"

namespace lockwatch {
namespace {
constexpr uintptr_t kMaxVerifiedSpan = INT16_MAX;  // frames further up stay unverified
}  // namespace

StackId AcquisitionSiteCache::unwind(Entry& entry, CallSite site, size_t max_depth, StackDepot& depot) {
  InsideLockwatch inside;  // libunwind may take locks of its own
  ++unwinds_;
  uintptr_t pcs[kMaxStackDepth];
  uintptr_t stack_pointers[kMaxStackDepth];
  const size_t depth =
      capture_stack(site, max_depth < kMaxStackDepth ? max_depth : kMaxStackDepth, pcs, stack_pointers);
  entry.return_address = site.return_address;
  entry.caller_stack_pointer = site.caller_stack_pointer;
  entry.stack = depot.insert({pcs, depth});
#if defined(__x86_64__)
  // Unused checks read the caller's own return-address slot, which always matches: the check
  // runs unrolled with no count.
  for (size_t i = 0; i < kVerifiedFrames; ++i) {
    entry.slot_offsets[i] = -static_cast<int16_t>(sizeof(uintptr_t));
    entry.expected_return_addresses[i] = site.return_address;
  }
  // On x86-64 a call pushes the return address just below the caller's stack pointer, so
  // frame i+1's return address lives at stack_pointers[i+1] - 8.
  for (size_t i = 1, verified = 0; i < depth && verified < kVerifiedFrames; ++i, ++verified) {
    // Only slots of a sanely growing stack within the thread's own stack are ever read back.
    if (stack_pointers[i] <= stack_pointers[i - 1] ||
        stack_pointers[i] < site.caller_stack_pointer + sizeof(uintptr_t) ||
        stack_pointers[i] - site.caller_stack_pointer > kMaxVerifiedSpan) {
      break;
    }
    entry.slot_offsets[verified] =
        static_cast<int16_t>(stack_pointers[i] - sizeof(uintptr_t) - site.caller_stack_pointer);
    entry.expected_return_addresses[verified] = pcs[i];
  }
#endif
  return entry.stack;
}

}  // namespace lockwatch

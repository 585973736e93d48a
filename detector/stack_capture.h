// Stack capture with LLVM libunwind, for slow paths only (a new acquisition site, a new
// lock-order edge, a report): unwinding costs microseconds, the fast path has nanoseconds.
// Frames inside lockwatch are cut off: frame 0 is always the call site's return address.
#pragma once

#include <cstddef>
#include <cstdint>

#include "call_site.h"

namespace lockwatch {

inline constexpr size_t kMaxStackDepth = 256;

// Fills `pcs` (return addresses; frame 0 = site.return_address) and, when `stack_pointers` is
// not null, each frame's stack pointer. Returns the number of frames (at least 1, at most
// `max_depth`). Async-signal-safe and malloc-free in practice (LLVM libunwind only allocates
// for modules registered without an .eh_frame_hdr index).
size_t capture_stack(const CallSite& site, size_t max_depth, uintptr_t* pcs, uintptr_t* stack_pointers);

}  // namespace lockwatch

// CallSite: where an interposed call came from, read in two instructions at the interposer.
// The return address names the calling instruction; the caller's stack pointer (the
// interposer's canonical frame address) tells apart calls from the same instruction on
// different call paths and lets unwinding start exactly at the caller.
#pragma once

#include <cstdint>

namespace lockwatch {

struct CallSite {
  uintptr_t return_address = 0;
  uintptr_t caller_stack_pointer = 0;
};

}  // namespace lockwatch

// Must be expanded in the interposed function itself (not in a helper it calls), so that the
// builtins describe the program's call into lockwatch.
#define LOCKWATCH_CALL_SITE()                                                                                    \
  ::lockwatch::CallSite {                                                                                        \
    reinterpret_cast<uintptr_t>(__builtin_return_address(0)), reinterpret_cast<uintptr_t>(__builtin_dwarf_cfa()) \
  }

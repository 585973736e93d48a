// LLVM libunwind walk that starts at the interposer's caller; see stack_capture.h.
#include "stack_capture.h"

#include <libunwind.h>

namespace lockwatch {

size_t capture_stack(const CallSite& site, size_t max_depth, uintptr_t* pcs, uintptr_t* stack_pointers) {
  if (max_depth == 0) return 0;
  size_t depth = 0;
  unw_context_t context;
  unw_cursor_t cursor;
  if (unw_getcontext(&context) == 0 && unw_init_local(&cursor, &context) == 0) {
    bool reached_caller = false;
    do {
      unw_word_t ip = 0;
      unw_word_t sp = 0;
      if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0 || unw_get_reg(&cursor, UNW_REG_SP, &sp) != 0 || ip == 0) break;
      if (!reached_caller) {
        // Skip lockwatch's own frames: the caller's frame is the first one at or above the
        // stack pointer it had when it called the interposer.
        if (sp < site.caller_stack_pointer) continue;
        reached_caller = true;
        ip = site.return_address;  // exact even when the caller frame was a tail call
      }
      pcs[depth] = ip;
      if (stack_pointers != nullptr) stack_pointers[depth] = sp;
      ++depth;
    } while (depth < max_depth && unw_step(&cursor) > 0);
  }
  if (depth == 0) {
    pcs[0] = site.return_address;
    if (stack_pointers != nullptr) stack_pointers[0] = site.caller_stack_pointer;
    depth = 1;
  }
  return depth;
}

}  // namespace lockwatch

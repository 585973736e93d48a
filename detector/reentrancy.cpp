// The per-thread mark of reentrancy.h.
#include "reentrancy.h"

namespace lockwatch {

__thread uint32_t lockwatch_depth __attribute__((tls_model("initial-exec"))) = 0;

}  // namespace lockwatch

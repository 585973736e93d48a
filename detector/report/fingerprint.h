// Fingerprint: a finding's identity across runs, for deduplication, baselines and SARIF.
// Built from the kind and the sites involved, each frame named by its module's file name and
// its function (or module offset when no function is known) with the call's line counted from
// the function's first line, never from raw addresses, thread ids or lines counted from the
// top of a file, so ASLR, scheduling and code moving elsewhere leave it alone, while two calls
// in one function, or two programs with the same function names, stay apart. Cycles are
// rotation-normalised: the same cycle entered from another edge has the same fingerprint.
#pragma once

#include <string>

#include "finding.h"
#include "report/resolved_stacks.h"

namespace lockwatch {

// 16 lowercase hex digits.
std::string fingerprint(const Finding& finding, const ResolvedStacks& stacks);

}  // namespace lockwatch

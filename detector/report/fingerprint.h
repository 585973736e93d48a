// Fingerprint: a finding's identity across runs, for deduplication, baselines and SARIF.
// Built from the kind and the sites involved, named by function (or module file name and
// offset when no function is known), never from raw addresses or thread ids, so ASLR,
// scheduling and unrelated code changes leave it alone. Cycles are rotation-normalised: the
// same cycle entered from another edge has the same fingerprint.
#pragma once

#include <string>

#include "finding.h"
#include "report/resolved_stacks.h"

namespace lockwatch {

// 16 lowercase hex digits.
std::string fingerprint(const Finding& finding, const ResolvedStacks& stacks);

}  // namespace lockwatch

// The JSON Lines records of SPEC.md: start, finding and end, one object per line.
#pragma once

#include <map>
#include <string>

#include "finding.h"
#include "options.h"
#include "report/process_info.h"
#include "report/resolved_stacks.h"

namespace lockwatch {

inline constexpr const char* kLockwatchVersion = "0.1.0";

std::string start_record(const ProcessInfo& process, const Options& options);
std::string finding_record(const Finding& finding, const ResolvedStacks& stacks, const std::string& fingerprint,
                           const std::string& message);
std::string end_record(int exit_status, const std::map<std::string, size_t>& counts,
                       const std::map<std::string, size_t>& suppressed, size_t errors);

}  // namespace lockwatch

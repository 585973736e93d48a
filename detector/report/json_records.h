// The JSON Lines records of SPEC.md: start, finding and end, one object per line; and the
// watchdog's dump and long_hold_end records (README).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "finding.h"
#include "options.h"
#include "report/process_info.h"
#include "report/resolved_stacks.h"

namespace lockwatch {

inline constexpr const char* kLockwatchVersion = "0.1.0";

// A stack's frames as the records give them (SPEC.md: pc, module, offset, and when known
// build_id, function, file, line, inlined).
nlohmann::json frames_json(const std::vector<SymbolizedFrame>& frames);

std::string start_record(const ProcessInfo& process, const Options& options);
std::string finding_record(const Finding& finding, const ResolvedStacks& stacks, const std::string& fingerprint,
                           const std::string& message);
// A thread dump asked for from outside: every thread, its state, stack and held locks.
std::string dump_record(const std::vector<FindingThreadDump>& threads, const ResolvedStacks& stacks);
// The end of a long hold reported while it lasted (`fingerprint` is the long_hold finding's).
std::string long_hold_end_record(const std::string& fingerprint, const Finding& finding, uint64_t held_ms);
std::string end_record(int exit_status, const std::map<std::string, size_t>& counts,
                       const std::map<std::string, size_t>& suppressed, size_t errors);

}  // namespace lockwatch

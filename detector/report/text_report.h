// The human report of a finding, written to stderr: what is wrong, the evidence (every stack
// of every edge, symbolized), and for cycles a lockdep-style scenario table of the
// interleaving that deadlocks, so the reader sees how to hit it and which order to fix.
#pragma once

#include <string>

#include "finding.h"
#include "report/process_info.h"
#include "report/resolved_stacks.h"

namespace lockwatch {

// One line, for the `message` field and the report's headline.
std::string finding_message(const Finding& finding);

// A thread dump asked for from outside, jstack-style.
std::string dump_text(const std::vector<FindingThreadDump>& threads, const ResolvedStacks& stacks, pid_t pid);
std::string long_hold_end_text(const Finding& finding, uint64_t held_ms, const std::string& fingerprint, pid_t pid);

std::string text_report(const Finding& finding, const ResolvedStacks& stacks, const std::string& message,
                        const std::string& fingerprint, pid_t pid);

}  // namespace lockwatch

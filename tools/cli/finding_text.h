// How a finding record reads to a person, from its JSON alone: its stacks, the frame that names
// the program's own code (its site), one frame in one line, and the whole finding with every
// stack. Shared by the text, SARIF, dot and JUnit formats and by `lockwatch demo`.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "report_reader.h"

namespace lockwatch::cli {

// A string field of a record, or "" when it is absent or not a string (records are read, not
// trusted: a field of another type never throws).
std::string string_field(const nlohmann::json& object, const char* key);

// The stacks of a finding, most telling first: the bad call, then each edge's request and
// held-lock stacks.
std::vector<const nlohmann::json*> stacks_of(const nlohmann::json& finding);

// The frame that names the program's own code: the first (inlined calls included, innermost
// first) with a source file outside system headers and the C library's sources; else the first
// with any source file; else the first (outermost, real) frame. Null for an empty stack.
const nlohmann::json* site_frame(const nlohmann::json& stack);

// `function (file:line)`, or `module+0xoffset` when neither is known.
std::string describe_frame(const nlohmann::json& frame);

// `kind` or `kind/subkind`.
std::string rule_id(const nlohmann::json& finding);

// The threads of a `thread_dump` array (a watchdog finding's, or a `dump` record's `threads`):
// each thread's state, what it waits for and since when, its stack now, and its held locks.
std::string thread_dump_text(const nlohmann::json& threads);

// One line naming the lock threads were blocked on longest, across the reports' profiles
// (where it was created, how long, in which program); empty when nothing was profiled.
std::string top_contention_text(const ReportSet& reports);

// The finding as a multi-line text: headline, each stack with every frame (inlined calls
// marked), the locks, and the fingerprint with how often it was seen.
std::string finding_details(const ReportedFinding& finding);

}  // namespace lockwatch::cli

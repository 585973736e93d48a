// RecordingSink: the FindingSink of the unit tests: keeps every finding, and counts the
// watchdog's dumps and the ends of long holds, for the tests to assert on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "finding.h"

namespace lockwatch {

struct RecordingSink : FindingSink {
  std::vector<Finding> findings;
  std::vector<uint64_t> hold_ends;  // held_ms of each long hold that ended
  size_t dumps = 0;

  void report(const Finding& finding) override { findings.push_back(finding); }
  void report_dump(const std::vector<FindingThreadDump>&) override { ++dumps; }
  void report_long_hold_end(const Finding&, uint64_t held_ms) override { hold_ends.push_back(held_ms); }
  size_t count(const std::string& kind) const {
    size_t n = 0;
    for (const Finding& finding : findings) n += finding.kind == kind;
    return n;
  }
};

}  // namespace lockwatch

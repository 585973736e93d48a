// Baseline: the findings a project has accepted for now, by fingerprint, so CI fails only on
// new ones. The file is JSON ({"version":1,"findings":[{"fingerprint","kind","message"}]}),
// written by `lockwatch baseline` and read with --baseline on `run` and `report`.
#pragma once

#include <string>
#include <vector>

#include "report_reader.h"

namespace lockwatch::cli {

struct BaselineEntry {
  std::string fingerprint;
  std::string kind;
  std::string message;
};

// The baseline of `reports`, as the file's JSON text.
std::string baseline_text(const ReportSet& reports);
// Reads a baseline file; ReportError (one line) when it is missing or not a baseline.
std::vector<BaselineEntry> read_baseline(const std::string& path);

// Marks the findings of `reports` that the baseline accepts (they no longer count as errors)
// and returns the baseline entries that were not seen any more.
std::vector<BaselineEntry> apply_baseline(ReportSet& reports, const std::vector<BaselineEntry>& baseline);

}  // namespace lockwatch::cli

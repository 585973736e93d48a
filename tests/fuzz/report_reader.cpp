// Fuzz target: the CLI's JSON Lines report reader (tools/cli/report_reader) and what
// `lockwatch report` does with what it read. Any bytes either raise ReportError (one line) or
// give findings with the SPEC's string fields, unique fingerprints and counts of at least one;
// every output format (text, JSON, SARIF, baseline) is then written without throwing, the JSON
// ones parse back, and a baseline of every finding leaves no error to fail on.
#include <cstddef>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "baseline.h"
#include "fuzz_check.h"
#include "report_formats.h"
#include "report_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lockwatch::cli;
  std::istringstream input(std::string(reinterpret_cast<const char*>(data), size));
  ReportMerger merger;
  try {
    merger.add(input, "fuzz.jsonl");
  } catch (const ReportError& error) {
    const std::string what = error.what();
    FUZZ_CHECK(what.rfind("fuzz.jsonl:", 0) == 0 && what.find('\n') == std::string::npos);
    return 0;
  }
  ReportSet reports = merger.take();
  FUZZ_CHECK(reports.files == 1);
  std::set<std::string> fingerprints;
  for (const ReportedFinding& finding : reports.findings) {
    FUZZ_CHECK(finding.occurrences >= 1 && !finding.accepted);
    for (const char* field : {"kind", "severity", "fingerprint", "message"}) {
      FUZZ_CHECK(finding.record.contains(field) && finding.record[field].is_string());
    }
    FUZZ_CHECK(fingerprints.insert(finding.record["fingerprint"].get<std::string>()).second);
  }

  FUZZ_CHECK(!format_text(reports).empty());
  FUZZ_CHECK(nlohmann::json::accept(format_json(reports)));
  FUZZ_CHECK(nlohmann::json::accept(format_sarif(reports, "/src")));
  const nlohmann::json baseline = nlohmann::json::parse(baseline_text(reports));
  std::vector<BaselineEntry> entries;
  for (const nlohmann::json& entry : baseline["findings"]) {
    entries.push_back({entry["fingerprint"], entry["kind"], entry["message"]});
  }
  FUZZ_CHECK(entries.size() == reports.findings.size());
  FUZZ_CHECK(apply_baseline(reports, entries).empty());
  FUZZ_CHECK(!has_errors(reports) || reports.findings.empty());
  return 0;
}

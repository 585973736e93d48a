// Writing, reading and applying baselines; see baseline.h.
#include "baseline.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace lockwatch::cli {

using nlohmann::json;

std::string baseline_text(const ReportSet& reports) {
  json findings = json::array();
  for (const ReportedFinding& finding : reports.findings) {
    findings.push_back({{"fingerprint", finding.record.value("fingerprint", "")},
                        {"kind", finding.record.value("kind", "")},
                        {"message", finding.record.value("message", "")}});
  }
  return json{{"version", 1}, {"findings", findings}}.dump(2) + "\n";
}

std::vector<BaselineEntry> read_baseline(const std::string& path) {
  std::ifstream input(path);
  if (!input) throw ReportError("cannot read baseline " + path + "; create one with: lockwatch baseline RUN_DIR > " + path);
  std::ostringstream text;
  text << input.rdbuf();
  const json baseline = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!baseline.is_object() || baseline.value("version", 0) != 1 || !baseline.contains("findings") ||
      !baseline["findings"].is_array()) {
    throw ReportError(path + " is not a lockwatch baseline (version 1); create one with: lockwatch baseline RUN_DIR");
  }
  std::vector<BaselineEntry> entries;
  for (const json& entry : baseline["findings"]) {
    if (!entry.is_object() || !entry.contains("fingerprint") || !entry["fingerprint"].is_string()) {
      throw ReportError(path + ": a baseline entry without a string \"fingerprint\"");
    }
    entries.push_back({entry["fingerprint"], entry.value("kind", ""), entry.value("message", "")});
  }
  return entries;
}

std::vector<BaselineEntry> apply_baseline(ReportSet& reports, const std::vector<BaselineEntry>& baseline) {
  std::vector<BaselineEntry> unseen;
  for (const BaselineEntry& entry : baseline) {
    auto found = std::find_if(reports.findings.begin(), reports.findings.end(), [&](const ReportedFinding& finding) {
      return finding.record.value("fingerprint", "") == entry.fingerprint;
    });
    if (found == reports.findings.end()) {
      unseen.push_back(entry);
    } else {
      found->accepted = true;
    }
  }
  return unseen;
}

}  // namespace lockwatch::cli

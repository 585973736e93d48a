// Text, JSON and SARIF renderings of a ReportSet; see report_formats.h.
#include "report_formats.h"

#include "finding_text.h"

#include <algorithm>
#include <sstream>

namespace lockwatch::cli {
using nlohmann::json;

bool has_errors(const ReportSet& reports) {
  if (reports.errors == 0) return false;
  // With a baseline, only error findings it does not accept count.
  const bool any_accepted = std::any_of(reports.findings.begin(), reports.findings.end(),
                                        [](const ReportedFinding& finding) { return finding.accepted; });
  if (!any_accepted) return true;
  return std::any_of(reports.findings.begin(), reports.findings.end(), [](const ReportedFinding& finding) {
    return !finding.accepted && finding.record.value("severity", "") == "error";
  });
}

std::string format_text(const ReportSet& reports) {
  std::ostringstream out;
  for (const ReportedFinding& finding : reports.findings) {
    const json& record = finding.record;
    out << (finding.accepted ? "BASELINE" : record.value("severity", "") == "error" ? "ERROR" : "WARNING") << ": "
        << record.value("message", "") << "\n";
    for (const json* stack : stacks_of(record)) {
      if (const json* frame = site_frame(*stack)) out << "  at " << describe_frame(*frame) << "\n";
    }
    out << "  fingerprint " << record.value("fingerprint", "") << ", seen " << finding.occurrences << " time"
        << (finding.occurrences == 1 ? "" : "s") << "\n";
  }
  out << reports.findings.size() << " distinct finding" << (reports.findings.size() == 1 ? "" : "s") << " in "
      << reports.processes << " process" << (reports.processes == 1 ? "" : "es") << " (" << reports.files
      << " report file" << (reports.files == 1 ? "" : "s") << ")\n";
  return out.str();
}

std::string format_json(const ReportSet& reports) {
  json findings = json::array();
  for (const ReportedFinding& finding : reports.findings) {
    json entry = finding.record;
    entry["occurrences"] = finding.occurrences;
    findings.push_back(std::move(entry));
  }
  return json{{"processes", reports.processes}, {"files", reports.files}, {"findings", findings}}.dump(2) + "\n";
}

std::string format_sarif(const ReportSet& reports) {
  json rules = json::array();
  json results = json::array();
  std::vector<std::string> rule_ids;
  for (const ReportedFinding& finding : reports.findings) {
    const json& record = finding.record;
    const std::string id = rule_id(record);
    if (std::find(rule_ids.begin(), rule_ids.end(), id) == rule_ids.end()) {
      rule_ids.push_back(id);
      rules.push_back({{"id", id}, {"shortDescription", {{"text", "lockwatch " + id}}}});
    }
    // Every site of the finding; without debug info the module stands in for the source file.
    json locations = json::array();
    for (const json* stack : stacks_of(record)) {
      const json* frame = site_frame(*stack);
      if (frame == nullptr) continue;
      if (frame->contains("file")) {
        locations.push_back({{"physicalLocation",
                              {{"artifactLocation", {{"uri", frame->value("file", "")}}},
                               {"region", {{"startLine", std::max(1, frame->value("line", 1))}}}}}});
      } else {
        locations.push_back({{"physicalLocation", {{"artifactLocation", {{"uri", frame->value("module", "")}}}}}});
      }
    }
    results.push_back({{"ruleId", id},
                       {"level", record.value("severity", "") == "error" ? "error" : "warning"},
                       {"message", {{"text", record.value("message", "")}}},
                       {"locations", locations},
                       {"partialFingerprints", {{"lockwatchFingerprint/v1", record.value("fingerprint", "")}}}});
  }
  json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                {"version", "2.1.0"},
                {"runs",
                 json::array({{{"tool", {{"driver", {{"name", "lockwatch"}, {"version", "0.1.0"}, {"rules", rules}}}}},
                               {"results", results}}})}};
  return sarif.dump(2) + "\n";
}

}  // namespace lockwatch::cli

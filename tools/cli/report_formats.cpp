// Text, JSON and SARIF renderings of a ReportSet; see report_formats.h.
#include "report_formats.h"

#include "finding_text.h"

#include <algorithm>
#include <cctype>
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

namespace {

// A path as a URI reference: every byte but unreserved characters and '/' percent-encoded.
std::string percent_encoded(const std::string& path) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

// `directory` with one '/' at its end.
std::string as_directory(const std::string& directory) {
  return !directory.empty() && directory.back() == '/' ? directory : directory + '/';
}

// An artifact location: relative to %SRCROOT% (`source_root`) for a file under it, which is
// how code scanning maps a result to a file of the repository; else a file:// URI.
json artifact_location(const std::string& path, const std::string& source_root) {
  const std::string prefix = as_directory(source_root);
  if (path.rfind(prefix, 0) == 0)
    return {{"uri", percent_encoded(path.substr(prefix.size()))}, {"uriBaseId", "%SRCROOT%"}};
  if (!path.empty() && path.front() == '/') return {{"uri", "file://" + percent_encoded(path)}};
  return {{"uri", percent_encoded(path)}};
}

}  // namespace

std::string format_sarif(const ReportSet& reports, const std::string& source_root) {
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
                              {{"artifactLocation", artifact_location(frame->value("file", ""), source_root)},
                               {"region", {{"startLine", std::max(1, frame->value("line", 1))}}}}}});
      } else {
        locations.push_back(
            {{"physicalLocation", {{"artifactLocation", artifact_location(frame->value("module", ""), source_root)}}}});
      }
    }
    results.push_back({{"ruleId", id},
                       {"level", record.value("severity", "") == "error" ? "error" : "warning"},
                       {"message", {{"text", record.value("message", "")}}},
                       {"locations", locations},
                       {"partialFingerprints", {{"lockwatchFingerprint/v1", record.value("fingerprint", "")}}}});
  }
  json sarif = {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs", json::array({{{"tool", {{"driver", {{"name", "lockwatch"}, {"version", "0.1.0"}, {"rules", rules}}}}},
                             {"originalUriBaseIds",
                              {{"%SRCROOT%", {{"uri", "file://" + percent_encoded(as_directory(source_root))}}}}},
                             {"results", results}}})}};
  return sarif.dump(2) + "\n";
}

}  // namespace lockwatch::cli

// JUnit XML rendering of a ReportSet; see junit_report.h.
#include "junit_report.h"

#include "finding_text.h"

namespace lockwatch::cli {
namespace {

// Escaped for XML 1.0 text and attribute values: markup characters as entities, line breaks
// kept (as character references in attributes, where a parser would fold them to spaces), and
// characters XML 1.0 cannot hold at all (other C0 controls) dropped.
std::string escaped(const std::string& text, bool attribute) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += attribute ? "&quot;" : "\""; break;
      case '\'': out += attribute ? "&apos;" : "'"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      case '\t': out += attribute ? "&#9;" : "\t"; break;
      case '\r': out += "&#13;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20) out += c;
    }
  }
  return out;
}

std::string attribute(const std::string& text) {
  return escaped(text, true);
}

// A short, distinct test name: the message and where the finding is (its first site).
std::string test_name(const ReportedFinding& finding) {
  std::string name = string_field(finding.record, "message");
  for (const nlohmann::json* stack : stacks_of(finding.record)) {
    if (const nlohmann::json* frame = site_frame(*stack)) {
      name += " at " + describe_frame(*frame);
      break;
    }
  }
  return name + " [" + string_field(finding.record, "fingerprint") + "]";
}

}  // namespace

std::string format_junit(const ReportSet& reports) {
  std::string cases;
  size_t failures = 0;
  for (const ReportedFinding& finding : reports.findings) {
    const std::string kind = rule_id(finding.record);
    cases += "    <testcase classname=\"" + attribute("lockwatch." + kind) + "\" name=\"" +
             attribute(test_name(finding)) + "\">\n";
    const std::string details = escaped(finding_details(finding), false);
    if (!finding.accepted && string_field(finding.record, "severity") == "error") {
      ++failures;
      cases += "      <failure type=\"" + attribute(kind) + "\" message=\"" +
               attribute(string_field(finding.record, "message")) + "\">" + details + "</failure>\n";
    } else {
      cases += "      <system-out>" + details + "</system-out>\n";
    }
    cases += "    </testcase>\n";
  }
  size_t tests = reports.findings.size();
  if (tests == 0) {
    tests = 1;
    cases += "    <testcase classname=\"lockwatch\" name=\"no synchronization findings in " +
             std::to_string(reports.processes) + " process" + (reports.processes == 1 ? "" : "es") +
             "\"/>\n";
  }
  const std::string counts = "tests=\"" + std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\"";
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"lockwatch\" " + counts +
         ">\n  <testsuite name=\"lockwatch\" " + counts + " errors=\"0\" skipped=\"0\">\n" + cases +
         "  </testsuite>\n</testsuites>\n";
}

}  // namespace lockwatch::cli

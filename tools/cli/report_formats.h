// The output formats of `lockwatch report` kept here: text for a terminal, JSON for scripts,
// SARIF 2.1.0 for GitHub code scanning (one result per finding, its sites as locations, the
// fingerprint as partialFingerprints). dot and JUnit have their own files.
#pragma once

#include <string>

#include "report_reader.h"

namespace lockwatch::cli {

std::string format_text(const ReportSet& reports);
std::string format_json(const ReportSet& reports);
// Sites in files under `source_root` (an absolute directory: where `report` runs, normally the
// repository's checkout) are named relative to it, as %SRCROOT%.
std::string format_sarif(const ReportSet& reports, const std::string& source_root);

// Whether the reports hold error findings that count for the exit status (fail_on).
bool has_errors(const ReportSet& reports);

}  // namespace lockwatch::cli

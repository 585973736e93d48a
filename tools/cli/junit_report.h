// `lockwatch report --format junit`: JUnit XML for CI test reporters (Jenkins, GitLab, GitHub
// test-report actions). One testsuite; one failing testcase per error finding (failure message:
// the finding's message; body: the finding with every stack), a passing testcase with the
// details in <system-out> for warnings and for findings a baseline accepts, and one passing
// testcase when there is nothing to report. Every text is escaped for XML 1.0.
#pragma once

#include <string>

#include "report_reader.h"

namespace lockwatch::cli {

std::string format_junit(const ReportSet& reports);

}  // namespace lockwatch::cli

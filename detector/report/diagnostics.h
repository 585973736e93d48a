// Diagnostics: lockwatch's own one-line messages to stderr ("lockwatch: error: ..."), through
// spdlog. Separate from findings: these say that lockwatch itself met bad input (options, log
// paths) and what it does instead.
#pragma once

#include <string_view>

namespace lockwatch {

void diagnostic_error(std::string_view message);
void diagnostic_warning(std::string_view message);

}  // namespace lockwatch

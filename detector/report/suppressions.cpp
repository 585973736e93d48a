// Parsing and matching of suppression rules; see suppressions.h.
#include "report/suppressions.h"

#include <fmt/format.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include <fstream>
#include <sstream>

namespace lockwatch {
namespace {

std::string trimmed(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  const size_t last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// `*`, a finding kind, or misuse/<subkind>.
bool known_kind(const std::string& kind) {
  auto named = [](const auto& names, const std::string& name) {
    return std::any_of(std::begin(names), std::end(names), [&](const char* known) { return name == known; });
  };
  const size_t slash = kind.find('/');
  if (slash == std::string::npos) return kind == "*" || named(kFindingKinds, kind);
  return kind.substr(0, slash) == "misuse" && named(kMisuseSubkinds, kind.substr(slash + 1));
}

bool kind_matches(const std::string& rule, const Finding& finding) {
  if (rule == "*") return true;
  const size_t slash = rule.find('/');
  if (slash == std::string::npos) return rule == finding.kind;
  return rule.substr(0, slash) == finding.kind && rule.substr(slash + 1) == finding.subkind;
}

bool glob(const std::string& pattern, const std::string& text) {
  return !text.empty() && fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

std::string file_name_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Suppressions Suppressions::parse(const std::string& text, const std::string& file_name,
                                 std::vector<std::string>& errors) {
  Suppressions result;
  std::istringstream lines(text);
  std::string line;
  for (size_t number = 1; std::getline(lines, line); ++number) {
    line = trimmed(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const size_t colon = line.find(':');
    const std::string kind = colon == std::string::npos ? "" : trimmed(line.substr(0, colon));
    const std::string pattern = colon == std::string::npos ? "" : trimmed(line.substr(colon + 1));
    if (!known_kind(kind) || pattern.empty()) {
      errors.push_back(
          fmt::format("suppressions file {} line {}: '{}' is not kind:pattern, where kind is a finding "
                      "kind, misuse/<subkind> or * (e.g. lock_order_inversion:*third_party*); "
                      "ignoring the line",
                      file_name, number, line));
      continue;
    }
    result.rules_.push_back({kind, pattern});
  }
  return result;
}

Suppressions Suppressions::load(const std::string& path, std::vector<std::string>& errors) {
  struct stat status {};
  const bool directory = stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode);
  std::ifstream input(path);
  if (directory || !input) {
    errors.push_back(fmt::format("cannot read suppressions file {} ({}); running without suppressions", path,
                                 directory ? "it is a directory" : std::strerror(errno)));
    return {};
  }
  std::ostringstream text;
  text << input.rdbuf();
  return parse(text.str(), path, errors);
}

bool Suppressions::suppresses(const Finding& finding, const ResolvedStacks& stacks) const {
  for (const Rule& rule : rules_) {
    if (!kind_matches(rule.kind, finding)) continue;
    for (const std::vector<SymbolizedFrame>* frames : stacks.all()) {
      for (const SymbolizedFrame& frame : *frames) {
        if (glob(rule.pattern, frame.function) || glob(rule.pattern, frame.file) ||
            glob(rule.pattern, frame.module) || glob(rule.pattern, file_name_of(frame.module))) {
          return true;
        }
      }
    }
  }
  return false;
}

}  // namespace lockwatch

// Suppressions: findings a user has decided to accept, named in a file of `kind:pattern`
// lines. The kind is a finding kind (`misuse` covers every subkind, `misuse/relock` one of
// them, `*` any); the pattern is a glob (fnmatch) matched against the function, source file and
// module (full path or file name) of every frame of the finding's stacks. `#` starts a
// comment. A suppressed finding is counted in the `end` record, never reported or counted as
// an error.
#pragma once

#include <string>
#include <vector>

#include "finding.h"
#include "report/resolved_stacks.h"

namespace lockwatch {

class Suppressions {
 public:
  struct Rule {
    std::string kind;
    std::string pattern;
  };

  // Parses `text` (the content of `file_name`); malformed lines are skipped, each with one
  // error line (file and line number) in `errors`.
  static Suppressions parse(const std::string& text, const std::string& file_name, std::vector<std::string>& errors);
  // Reads and parses `path`; an unreadable file is one error and no suppressions.
  static Suppressions load(const std::string& path, std::vector<std::string>& errors);

  bool suppresses(const Finding& finding, const ResolvedStacks& stacks) const;
  size_t size() const { return rules_.size(); }
  const std::vector<Rule>& rules() const { return rules_; }

 private:
  std::vector<Rule> rules_;
};

}  // namespace lockwatch

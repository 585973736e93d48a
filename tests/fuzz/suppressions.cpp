// Fuzz target: suppressions file parsing (detector/report/suppressions). Any bytes parse without
// throwing; every rule has a known kind and a trimmed, comment-free, non-empty pattern; every
// line is a rule, an error, or blank; and the rules, written back as a file, parse to
// themselves without error.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "report/suppressions.h"

namespace {

bool trimmed(const std::string& text) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  return !text.empty() && !blank(text.front()) && !blank(text.back());
}

bool known_kind(const std::string& kind) {
  if (kind == "*") return true;
  const std::string base = kind.substr(0, kind.find('/'));
  for (const char* name : {"lock_order_inversion", "deadlock", "stall", "hang", "long_hold", "misuse"}) {
    if (base == name) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lockwatch::Suppressions;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> errors;
  const Suppressions parsed = Suppressions::parse(text, "fuzz.supp", errors);

  const size_t lines = std::count(text.begin(), text.end(), '\n') + (!text.empty() && text.back() != '\n');
  FUZZ_CHECK(parsed.size() + errors.size() <= lines);
  for (const std::string& error : errors) {
    FUZZ_CHECK(error.find('\n') == std::string::npos && error.find("fuzz.supp line ") != std::string::npos);
  }
  std::string written;
  for (const Suppressions::Rule& rule : parsed.rules()) {
    FUZZ_CHECK(known_kind(rule.kind) && trimmed(rule.kind));
    FUZZ_CHECK(rule.kind.find_first_of(":#") == std::string::npos);
    FUZZ_CHECK(trimmed(rule.pattern) && rule.pattern.find_first_of("#\n") == std::string::npos);
    written += rule.kind + ":" + rule.pattern + "\n";
  }

  std::vector<std::string> errors_again;
  const Suppressions again = Suppressions::parse(written, "written.supp", errors_again);
  FUZZ_CHECK(errors_again.empty());
  FUZZ_CHECK(again.size() == parsed.size());
  for (size_t i = 0; i < again.size(); ++i) {
    FUZZ_CHECK(again.rules()[i].kind == parsed.rules()[i].kind);
    FUZZ_CHECK(again.rules()[i].pattern == parsed.rules()[i].pattern);
  }
  return 0;
}

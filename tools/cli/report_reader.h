// ReportReader: reads lockwatch's JSON Lines reports (files, or directories of
// `<prefix>.<pid>.jsonl` files) into one set of findings, deduplicated by fingerprint across
// processes: a finding seen in ten processes (a test suite) is one finding seen ten times.
// Corrupt input is never skipped silently: it raises ReportError naming the file and line. The
// one exception is a file's last line cut short (no newline, not JSON), as a process killed
// while writing leaves it: that line is skipped with a warning.
#pragma once

#include <nlohmann/json.hpp>

#include <istream>
#include <map>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace lockwatch::cli {

class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ReportedFinding {
  nlohmann::json record;  // the first occurrence's `finding` record
  size_t occurrences = 0;
  bool accepted = false;  // in the baseline: shown, but not an error
  long long pid = 0;      // of the first occurrence's process (from its start record; 0 if none)
  std::string program;    // that process's executable, as its start record names it
};

struct ReportSet {
  std::vector<ReportedFinding> findings;  // in order of first appearance
  size_t processes = 0;                   // `start` records read
  size_t files = 0;
  // Error findings that count for the exit status: each process's `end` record says how many
  // of its findings were in fail_on; a process that ended without one (killed) counts its
  // error-severity findings.
  size_t errors = 0;
  std::vector<std::string> warnings;  // one line each: input read past (a truncated last line)
  // The profiled lock threads were blocked on longest (waiting for it or in condition waits
  // with it), across every process's last `profile` record; null when none was profiled.
  nlohmann::json top_contention;
  long long top_contention_pid = 0;
  std::string top_contention_program;
};

// Merges reports one stream (one file's content) at a time. Not thread-safe.
class ReportMerger {
 public:
  // Reads the JSON Lines of `input`, named `source` in errors and warnings. Throws ReportError
  // (one line: what, where, what to do) for a line that is not JSON, or a record without the
  // fields the SPEC gives it (with their types: the formats read them without further checks).
  // A last line cut short (no newline, not JSON) is skipped with a warning.
  void add(std::istream& input, const std::string& source);
  ReportSet take() { return std::move(set_); }

 private:
  void note_contention(const nlohmann::json& profile, long long pid, const std::string& program);
  ReportSet set_;
  std::map<std::string, size_t> by_fingerprint_;
};

// The report files (*.jsonl) in `directory`, sorted; `error` says why it could not be read.
std::vector<std::string> reports_in(const std::string& directory, std::error_code& error);

// Throws ReportError for a missing path, an unreadable file or directory, a directory without
// reports, and as ReportMerger::add.
ReportSet read_reports(const std::vector<std::string>& paths);

}  // namespace lockwatch::cli

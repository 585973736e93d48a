// Reading and merging JSON Lines reports; see report_reader.h.
#include "report_reader.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace lockwatch::cli {

namespace fs = std::filesystem;

std::vector<std::string> reports_in(const std::string& directory, std::error_code& error) {
  std::vector<std::string> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, error)) {
    if (entry.is_regular_file(error) && entry.path().extension() == ".jsonl") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

namespace {

std::vector<fs::path> report_files(const std::string& path) {
  std::error_code error;
  const fs::path location(path);
  if (fs::is_directory(location, error)) {
    const std::vector<std::string> names = reports_in(path, error);
    if (error) throw ReportError("cannot read directory " + path + ": " + error.message() + "; check its permissions");
    const std::vector<fs::path> files(names.begin(), names.end());
    if (files.empty()) {
      throw ReportError("no reports (*.jsonl) in directory " + path +
                        "; give the --out directory of lockwatch run or the directory of log_path");
    }
    return files;
  }
  if (!fs::exists(location, error)) {
    throw ReportError("no such report file or directory: " + path + "; give a .jsonl file or a run directory");
  }
  return {location};
}

void require(bool condition, const std::string& source, size_t line, const std::string& what) {
  if (!condition) {
    throw ReportError(source + ":" + std::to_string(line) + ": " + what + "; is this a lockwatch JSON Lines report?");
  }
}

// A stack as the formats read it without further checks: an array of frame objects whose
// function, file and module are strings and whose line is a line number, where present.
bool is_stack(const nlohmann::json& stack) {
  if (!stack.is_array()) return false;
  for (const nlohmann::json& frame : stack) {
    if (!frame.is_object()) return false;
    for (const char* key : {"function", "file", "module"}) {
      if (frame.contains(key) && !frame[key].is_string()) return false;
    }
    if (frame.contains("line") &&
        !(frame["line"].is_number_unsigned() && frame["line"].get<uint64_t>() <= uint64_t{INT_MAX})) {
      return false;
    }
  }
  return true;
}

// The parts of a finding the formats read beyond its string fields: subkind, stack, cycle.
bool has_readable_evidence(const nlohmann::json& finding) {
  if (finding.contains("subkind") && !finding["subkind"].is_string()) return false;
  if (finding.contains("stack") && !is_stack(finding["stack"])) return false;
  if (!finding.contains("cycle")) return true;
  if (!finding["cycle"].is_array()) return false;
  for (const nlohmann::json& edge : finding["cycle"]) {
    if (!edge.is_object()) return false;
    for (const char* key : {"held_stack", "requested_stack"}) {
      if (edge.contains(key) && !is_stack(edge[key])) return false;
    }
  }
  return true;
}

}  // namespace

namespace {

// Nanoseconds a profiled lock record says threads were blocked on it (0 when unreadable).
uint64_t blocked_ns(const nlohmann::json& lock) {
  uint64_t total = 0;
  for (const char* timing : {"wait", "cond_wait"}) {
    if (lock.contains(timing) && lock[timing].is_object() && lock[timing].contains("total_ns") &&
        lock[timing]["total_ns"].is_number_unsigned()) {
      total += lock[timing]["total_ns"].get<uint64_t>();
    }
  }
  return total;
}

}  // namespace

void ReportMerger::note_contention(const nlohmann::json& profile, long long pid, const std::string& program) {
  if (!profile.contains("locks") || !profile["locks"].is_array()) return;
  for (const nlohmann::json& lock : profile["locks"]) {
    if (!lock.is_object() || !lock.contains("created_at") || !is_stack(lock["created_at"])) continue;
    if (!set_.top_contention.is_null() && blocked_ns(lock) <= blocked_ns(set_.top_contention)) continue;
    set_.top_contention = lock;
    set_.top_contention_pid = pid;
    set_.top_contention_program = program;
  }
}

void ReportMerger::add(std::istream& input, const std::string& source) {
  ++set_.files;
  std::string text;
  size_t unended_errors = 0;  // error findings since the last start, while no end is seen
  long long pid = 0;
  std::string program;
  for (size_t line = 1; std::getline(input, text); ++line) {
    if (text.empty()) continue;
    nlohmann::json record = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    // getline stops at the end of the input without a newline only on the last line.
    if (record.is_discarded() && input.eof()) {
      set_.warnings.push_back(source + ":" + std::to_string(line) +
                              ": the last line is cut short (the process was killed while writing it?); skipped it");
      break;
    }
    require(record.is_object(), source, line, "not a JSON object");
    require(record.contains("type") && record["type"].is_string(), source, line, "no \"type\"");
    const std::string type = record["type"];
    if (type == "start") {
      ++set_.processes;
      pid = record.contains("pid") && record["pid"].is_number_integer() ? record["pid"].get<long long>() : 0;
      program = record.contains("exe") && record["exe"].is_string() ? record["exe"].get<std::string>() : "";
      set_.errors += unended_errors;  // the previous image of this process (exec) ended unseen
      unended_errors = 0;
    }
    if (type == "end") {
      require(record.contains("errors") && record["errors"].is_number_unsigned(), source, line,
              "an end record without a count of \"errors\"");
      set_.errors += record["errors"].get<size_t>();
      unended_errors = 0;
    }
    if (type == "profile") {
      note_contention(record, pid, program);
      continue;
    }
    if (type != "finding") continue;
    for (const char* field : {"kind", "severity", "fingerprint", "message"}) {
      require(record.contains(field) && record[field].is_string(), source, line,
              std::string("a finding without a string \"") + field + "\"");
    }
    require(has_readable_evidence(record), source, line,
            "a finding whose subkind, stack or cycle is not as the SPEC gives it");
    if (record["severity"] == "error") ++unended_errors;
    const std::string fingerprint = record["fingerprint"];
    auto [known, inserted] = by_fingerprint_.emplace(fingerprint, set_.findings.size());
    if (inserted) set_.findings.push_back({std::move(record), 0, false, pid, program});
    ++set_.findings[known->second].occurrences;
  }
  set_.errors += unended_errors;
}

ReportSet read_reports(const std::vector<std::string>& paths) {
  ReportMerger merger;
  for (const std::string& path : paths) {
    for (const fs::path& file : report_files(path)) {
      errno = 0;
      std::ifstream input(file);
      if (!input) {
        throw ReportError("cannot read " + file.string() + (errno != 0 ? ": " + std::string(strerror(errno)) : "") +
                          "; check the path and its permissions");
      }
      merger.add(input, file.string());
    }
  }
  return merger.take();
}

}  // namespace lockwatch::cli

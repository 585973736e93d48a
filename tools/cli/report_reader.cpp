// Reading and merging JSON Lines reports; see report_reader.h.
#include "report_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

namespace lockwatch::cli {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> report_files(const std::string& path) {
  std::error_code error;
  const fs::path location(path);
  if (fs::is_directory(location, error)) {
    std::vector<fs::path> files;
    fs::directory_iterator entries(location, error);
    if (error) throw ReportError("cannot read directory " + path + ": " + error.message() + "; check its permissions");
    for (const fs::directory_entry& entry : entries) {
      if (entry.is_regular_file(error) && entry.path().extension() == ".jsonl") files.push_back(entry.path());
    }
    if (files.empty()) {
      throw ReportError("no reports (*.jsonl) in directory " + path +
                        "; give the --out directory of lockwatch run or the directory of log_path");
    }
    std::sort(files.begin(), files.end());
    return files;
  }
  if (!fs::exists(location, error)) {
    throw ReportError("no such report file or directory: " + path + "; give a .jsonl file or a run directory");
  }
  return {location};
}

void require(bool condition, const fs::path& file, size_t line, const std::string& what) {
  if (!condition) {
    throw ReportError(file.string() + ":" + std::to_string(line) + ": " + what +
                      "; is this a lockwatch JSON Lines report?");
  }
}

}  // namespace

ReportSet read_reports(const std::vector<std::string>& paths) {
  ReportSet set;
  std::map<std::string, size_t> by_fingerprint;
  for (const std::string& path : paths) {
    for (const fs::path& file : report_files(path)) {
      errno = 0;
      std::ifstream input(file);
      if (!input) {
        throw ReportError("cannot read " + file.string() + (errno != 0 ? ": " + std::string(strerror(errno)) : "") +
                          "; check the path and its permissions");
      }
      ++set.files;
      std::string text;
      size_t unended_errors = 0;  // error findings since the last start, while no end is seen
      long long pid = 0;
      std::string program;
      for (size_t line = 1; std::getline(input, text); ++line) {
        if (text.empty()) continue;
        nlohmann::json record = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
        // getline stops at the end of the file without a newline only on the last line.
        if (record.is_discarded() && input.eof()) {
          set.warnings.push_back(file.string() + ":" + std::to_string(line) +
                                 ": the last line is cut short (the process was killed while writing it?); "
                                 "skipped it");
          break;
        }
        require(record.is_object(), file, line, "not a JSON object");
        require(record.contains("type") && record["type"].is_string(), file, line, "no \"type\"");
        const std::string type = record["type"];
        if (type == "start") {
          ++set.processes;
          pid = record.contains("pid") && record["pid"].is_number_integer() ? record["pid"].get<long long>() : 0;
          program = record.contains("exe") && record["exe"].is_string() ? record["exe"].get<std::string>() : "";
          set.errors += unended_errors;  // the previous image of this process (exec) ended unseen
          unended_errors = 0;
        }
        if (type == "end") {
          require(record.contains("errors") && record["errors"].is_number_unsigned(), file, line,
                  "an end record without a count of \"errors\"");
          set.errors += record["errors"].get<size_t>();
          unended_errors = 0;
        }
        if (type != "finding") continue;
        for (const char* field : {"kind", "severity", "fingerprint", "message"}) {
          require(record.contains(field) && record[field].is_string(), file, line,
                  std::string("a finding without a string \"") + field + "\"");
        }
        if (record["severity"] == "error") ++unended_errors;
        const std::string fingerprint = record["fingerprint"];
        auto [known, inserted] = by_fingerprint.emplace(fingerprint, set.findings.size());
        if (inserted) set.findings.push_back({std::move(record), 0, false, pid, program});
        ++set.findings[known->second].occurrences;
      }
      set.errors += unended_errors;
    }
  }
  return set;
}

}  // namespace lockwatch::cli

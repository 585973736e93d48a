// The lockwatch command line. `lockwatch run [options] -- CMD ARGS...` runs CMD with
// liblockwatch.so preloaded (found next to this binary: ../lib or the same folder) and the
// options passed through LOCKWATCH_OPTIONS. It execs CMD, so CMD's exit status (or
// lockwatch's exitcode when errors were found) is the status of `lockwatch run`.
// `lockwatch report PATH... [--format text|json|sarif]` merges JSON Lines reports; it exits 66
// when they hold an error finding, 0 otherwise.
// Bad usage or input: one line saying what to type or do instead, exit 2.
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include "report_formats.h"
#include "report_reader.h"

#include <cerrno>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

constexpr int kUsageError = 2;
constexpr int kErrorsFound = 66;

fs::path find_library() {
  char self[PATH_MAX];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0) return {};
  const fs::path bin_dir = fs::path(std::string(self, static_cast<size_t>(length))).parent_path();
  for (const fs::path& candidate : {bin_dir / ".." / "lib" / "liblockwatch.so", bin_dir / "liblockwatch.so"}) {
    std::error_code error;
    if (fs::exists(candidate, error)) return fs::canonical(candidate, error);
  }
  return {};
}

struct RunRequest {
  std::vector<std::string> options;  // key=value
  std::string log_path;
  int exitcode = -1;
  bool quiet = false;
  std::vector<std::string> command;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "lockwatch: error: " << message << '\n';
  std::exit(kUsageError);
}

[[noreturn]] void run(const RunRequest& request) {
  if (request.command.empty()) usage_error("no command to run; type: lockwatch run [options] -- CMD ARGS...");
  const fs::path library = find_library();
  if (library.empty()) usage_error("liblockwatch.so not found next to this program (looked in ../lib and .)");

  std::string preload = library.string();
  if (const char* existing = getenv("LD_PRELOAD"); existing != nullptr && existing[0] != '\0') {
    preload += ':';
    preload += existing;
  }
  const char* inherited_options = getenv("LOCKWATCH_OPTIONS");
  std::string options = inherited_options != nullptr ? inherited_options : "";
  auto add_option = [&](const std::string& pair) {
    if (!options.empty()) options += ':';
    options += pair;
  };
  // LOCKWATCH_OPTIONS separates pairs with ':' and white space, so values cannot hold them.
  auto separable = [](const std::string& value) { return value.find_first_of(": \t\n") == std::string::npos; };
  for (const std::string& pair : request.options) {
    if (pair.find('=') == std::string::npos) usage_error("--option takes key=value, e.g. --option stall_ms=2000");
    if (!separable(pair)) usage_error("'" + pair + "' holds ':' or white space, which LOCKWATCH_OPTIONS cannot carry");
    add_option(pair);
  }
  if (!request.log_path.empty()) {
    if (!separable(request.log_path)) {
      usage_error("--log-path '" + request.log_path + "' holds ':' or white space; choose a path without them");
    }
    add_option("log_path=" + request.log_path);
  }
  if (request.exitcode >= 0) add_option("exitcode=" + std::to_string(request.exitcode));
  if (request.quiet) add_option("quiet=1");
  setenv("LD_PRELOAD", preload.c_str(), 1);
  setenv("LOCKWATCH_OPTIONS", options.c_str(), 1);

  std::vector<char*> argv;
  for (const std::string& argument : request.command) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  usage_error("cannot run '" + request.command[0] + "': " + strerror(errno) + "; check the command name and PATH");
}

int report(const std::vector<std::string>& paths, const std::string& format) {
  try {
    const lockwatch::cli::ReportSet reports = lockwatch::cli::read_reports(paths);
    if (format == "json") {
      std::cout << lockwatch::cli::format_json(reports);
    } else if (format == "sarif") {
      std::cout << lockwatch::cli::format_sarif(reports);
    } else {
      std::cout << lockwatch::cli::format_text(reports);
    }
    return lockwatch::cli::has_errors(reports) ? kErrorsFound : 0;
  } catch (const lockwatch::cli::ReportError& error) {
    std::cerr << "lockwatch: error: " << error.what() << '\n';
    return kUsageError;
  }
}

int run_cli(int argc, char** argv) {
  CLI::App app{"lockwatch: finds deadlocks and synchronization bugs in unmodified programs"};
  app.require_subcommand(1);
  RunRequest request;
  CLI::App* run_command = app.add_subcommand("run", "run a command with lockwatch preloaded");
  run_command->add_option("-o,--option", request.options, "a LOCKWATCH_OPTIONS pair, key=value (repeatable)");
  run_command->add_option("--log-path", request.log_path, "write JSON Lines reports to PATH.<pid>.jsonl");
  run_command->add_option("--exitcode", request.exitcode, "exit status when errors are found (0: keep the program's)")
      ->check(CLI::Range(0, 255));
  run_command->add_flag("-q,--quiet", request.quiet, "no text report on stderr");
  run_command->add_option("command", request.command, "the command and its arguments, after --")->required();
  run_command->positionals_at_end();
  std::vector<std::string> report_paths;
  std::string report_format = "text";
  CLI::App* report_command = app.add_subcommand("report", "merge and show JSON Lines reports");
  report_command->add_option("paths", report_paths, "report files (.jsonl) or directories of them")->required();
  report_command->add_option("--format", report_format, "text, json or sarif")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::cerr << "lockwatch: error: " << error.what()
              << "; type: lockwatch run [options] -- CMD ARGS... or lockwatch report PATH... [--format F]\n";
    return kUsageError;
  }
  if (run_command->parsed()) run(request);
  if (report_command->parsed()) return report(report_paths, report_format);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    return run_cli(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "lockwatch: error: " << error.what() << '\n';
    return kUsageError;
  }
}

// The lockwatch command line. `lockwatch run [options] -- CMD ARGS...` runs CMD, and every
// process it starts, with liblockwatch.so preloaded (found next to this binary: ../lib or the
// same folder) and the options passed through LOCKWATCH_OPTIONS; all report into one run
// directory, and one summary merged across processes ends the run. Its status is CMD's, or
// exitcode (66) when error findings exist.
// `lockwatch report PATH... [--format text|json|sarif|dot|junit]` merges JSON Lines reports; it
// exits 66 when they hold an error finding, 0 otherwise. `lockwatch demo` explains samples.
// Bad usage or input: one line saying what to type or do instead, exit 2; never a stack trace.
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include "baseline.h"
#include "demo.h"
#include "dump_request.h"
#include "finding_text.h"
#include "install_layout.h"
#include "junit_report.h"
#include "lock_graph_dot.h"
#include "options.h"
#include "preload_blockers.h"
#include "report_formats.h"
#include "report_reader.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

constexpr int kUsageError = 2;
constexpr int kErrorsFound = 66;

struct RunRequest {
  std::vector<std::string> options;  // key=value
  std::string log_path;
  std::string out;
  std::string suppressions;
  std::string baseline;
  int exitcode = -1;
  bool quiet = false;
  bool profile = false;
  std::vector<std::string> command;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "lockwatch: error: " << message << '\n';
  std::exit(kUsageError);
}

void print_warnings(const lockwatch::cli::ReportSet& reports) {
  for (const std::string& warning : reports.warnings) std::cerr << "lockwatch: warning: " << warning << '\n';
}

// A file the run will need later (the suppressions) is checked before CMD runs: a long
// test suite must not run for nothing.
void require_readable(const std::string& path, const std::string& what) {
  if (path.empty()) return;
  std::error_code error;
  if (fs::is_directory(path, error) || access(path.c_str(), R_OK) != 0) {
    usage_error("cannot read " + what + " '" + path + "': " +
                (fs::is_directory(path, error) ? std::string("it is a directory") : std::string(strerror(errno))) +
                "; check the path");
  }
}

// Reports are written by the watched processes, which cannot say that they failed to: the
// directory they write into must exist and be writable before CMD starts.
void require_writable_directory(const fs::path& directory, const std::string& what) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    usage_error(what + " '" + directory.string() + "' is not a directory; create it or choose another");
  }
  if (access(directory.c_str(), W_OK | X_OK) != 0) {
    usage_error("cannot write into " + what + " '" + directory.string() + "': " + strerror(errno) +
                "; choose a writable directory");
  }
}

// The entries of --baseline FILE, read before anything else so a bad one fails at once; none
// without --baseline. Throws ReportError.
std::vector<lockwatch::cli::BaselineEntry> baseline_entries(const std::string& baseline) {
  if (baseline.empty()) return {};
  return lockwatch::cli::read_baseline(baseline);
}

// Applies --baseline FILE's entries (when given) to `reports`, and says on stderr which baseline
// entries were not seen any more (fixed, or not exercised by this run).
void apply_baseline_file(lockwatch::cli::ReportSet& reports, const std::vector<lockwatch::cli::BaselineEntry>& entries,
                         const std::string& baseline) {
  if (baseline.empty()) return;
  for (const lockwatch::cli::BaselineEntry& entry : lockwatch::cli::apply_baseline(reports, entries)) {
    std::cerr << "lockwatch: baseline entry " << entry.fingerprint << " (" << entry.kind
              << ") was not seen: fixed, or not exercised; remove it from " << baseline << " when fixed\n";
  }
}

// A path the processes CMD starts can use from any working directory.
std::string absolute(const std::string& path) {
  std::error_code error;
  const fs::path full = fs::absolute(path, error);
  return error ? path : full.lexically_normal().string();
}

// Sets LD_PRELOAD and LOCKWATCH_OPTIONS for `request`, with `log_path` as the report prefix.
// Returns the exitcode the processes apply: the last one of the inherited LOCKWATCH_OPTIONS,
// -o and --exitcode (or with --baseline, the one they would have applied without it).
int prepare_environment(const RunRequest& request, const std::string& log_path) {
  const fs::path library = lockwatch::cli::find_library();
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
  if (!separable(log_path)) {
    usage_error("the report path '" + log_path + "' holds ':' or white space; choose a path without them");
  }
  add_option("log_path=" + log_path);
  if (request.exitcode >= 0) add_option("exitcode=" + std::to_string(request.exitcode));
  const int exitcode = lockwatch::parse_options(options).options.exitcode;  // processes say what is wrong
  // With a baseline, each process keeps its own status and `run` alone decides, after the
  // baseline has accepted what it accepts.
  if (!request.baseline.empty()) add_option("exitcode=0");
  if (request.quiet) add_option("quiet=1");
  if (request.profile) add_option("profile=print");
  if (!request.suppressions.empty()) {
    if (!separable(request.suppressions)) usage_error("--suppressions path holds ':' or white space");
    add_option("suppressions=" + absolute(request.suppressions));
  }
  setenv("LD_PRELOAD", preload.c_str(), 1);
  setenv("LOCKWATCH_OPTIONS", options.c_str(), 1);
  return exitcode;
}

[[noreturn]] void exec_command(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const std::string& argument : command) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  usage_error("cannot run '" + command[0] + "': " + strerror(errno) + "; check the command name and PATH");
}

// The run directory, absolute: --out DIR (created if needed), or a fresh temporary one.
std::string run_directory(const RunRequest& request) {
  if (!request.out.empty()) {
    std::error_code error;
    fs::create_directories(request.out, error);
    if (error) {
      usage_error("cannot create --out directory '" + request.out + "': " + error.message() +
                  "; choose a writable directory");
    }
    require_writable_directory(request.out, "--out directory");
    return absolute(request.out);
  }
  std::string pattern = (fs::temp_directory_path() / "lockwatch-run-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) usage_error(std::string("cannot create a run directory: ") + strerror(errno));
  return pattern;
}

// CMD, while `run` waits for it: a termination signal sent to `run` alone (a CI job cancelled
// or timed out) is passed on, so CMD never outlives it unasked.
volatile sig_atomic_t command_pid = 0;

void pass_on_signal(int signal_number) {
  if (command_pid > 0) kill(command_pid, signal_number);
}

// Runs CMD and every process it starts with the library preloaded, each reporting into the
// run directory; when they are done, prints one summary merged across processes (only when
// there are findings) and exits with CMD's status, or exitcode when error findings exist.
// Reports already in an --out directory (an earlier run's) are left there and not counted.
[[noreturn]] void run(const RunRequest& request) {
  if (request.command.empty()) usage_error("no command to run; type: lockwatch run [options] -- CMD ARGS...");
  require_readable(request.suppressions, "--suppressions file");
  std::vector<lockwatch::cli::BaselineEntry> accepted;
  try {
    accepted = baseline_entries(request.baseline);
  } catch (const lockwatch::cli::ReportError& error) {
    usage_error(error.what());
  }
  // Said before CMD runs: the processes it starts may still be watched, but not it.
  const std::string blocker = lockwatch::cli::preload_blocker(request.command[0]);
  if (!blocker.empty()) {
    std::cerr << "lockwatch: warning: '" << request.command[0] << "' " << blocker << ", so lockwatch cannot watch it\n";
  }
  if (!request.log_path.empty()) {  // reports go where the user says; no summary
    const fs::path parent = fs::path(request.log_path).parent_path();
    require_writable_directory(parent.empty() ? fs::path(".") : parent, "the --log-path directory");
    prepare_environment(request, absolute(request.log_path));
    exec_command(request.command);
  }
  const std::string directory = run_directory(request);
  const int exitcode = prepare_environment(request, directory + "/report");
  std::error_code listing_error;  // unreadable: nothing listed, and "no process reported" is said below
  const std::vector<std::string> earlier_reports = lockwatch::cli::reports_in(directory, listing_error);

  // A close-on-exec pipe tells the parent whether exec failed (and why).
  int exec_status[2];
  if (pipe2(exec_status, O_CLOEXEC) != 0) usage_error(std::string("cannot create a pipe: ") + strerror(errno));
  const pid_t child = fork();
  if (child < 0) usage_error(std::string("cannot fork: ") + strerror(errno));
  if (child == 0) {
    close(exec_status[0]);
    std::vector<char*> argv;
    for (const std::string& argument : request.command) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    const int error = errno;
    (void)!write(exec_status[1], &error, sizeof error);
    _exit(127);
  }
  close(exec_status[1]);
  int exec_error = 0;
  const bool exec_failed = read(exec_status[0], &exec_error, sizeof exec_error) == sizeof exec_error;
  close(exec_status[0]);
  // Ctrl-C reaches the command (same process group); lockwatch stays to write the summary.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  command_pid = child;
  struct sigaction pass_on {};
  pass_on.sa_handler = pass_on_signal;
  sigemptyset(&pass_on.sa_mask);
  for (int signal_number : {SIGTERM, SIGHUP}) sigaction(signal_number, &pass_on, nullptr);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (exec_failed) {
    if (request.out.empty()) fs::remove_all(directory);
    usage_error("cannot run '" + request.command[0] + "': " + strerror(exec_error) + "; check the command name and PATH");
  }
  const int command_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

  const std::vector<std::string> reports_now = lockwatch::cli::reports_in(directory, listing_error);
  std::vector<std::string> reports_of_this_run;
  std::set_difference(reports_now.begin(), reports_now.end(), earlier_reports.begin(), earlier_reports.end(),
                      std::back_inserter(reports_of_this_run));
  if (reports_of_this_run.empty()) {
    // Every preloaded process writes a start record: nothing at all means nothing was watched
    // (said already when the reason was known before the run).
    if (blocker.empty()) {
      std::cerr << "lockwatch: warning: no process of '" << request.command[0]
                << "' reported: is it statically linked, or does it clear LD_PRELOAD?\n";
    }
    if (request.out.empty()) fs::remove_all(directory);
    std::exit(command_status);
  }
  lockwatch::cli::ReportSet reports;
  try {
    reports = lockwatch::cli::read_reports(reports_of_this_run);
    print_warnings(reports);
  } catch (const lockwatch::cli::ReportError& error) {
    std::cerr << "lockwatch: error: " << error.what() << '\n';
    std::exit(command_status);
  }
  apply_baseline_file(reports, accepted, request.baseline);
  if (reports.findings.empty()) {
    if (request.out.empty()) fs::remove_all(directory);
    std::exit(command_status);
  }
  std::cerr << "==lockwatch== summary of every process (reports in " << directory << "):\n"
            << lockwatch::cli::format_text(reports) << lockwatch::cli::top_contention_text(reports);
  std::exit(lockwatch::cli::has_errors(reports) && exitcode != 0 ? exitcode : command_status);
}

int report(const std::vector<std::string>& paths, const std::string& format, const std::string& baseline) {
  try {
    const std::vector<lockwatch::cli::BaselineEntry> accepted = baseline_entries(baseline);
    lockwatch::cli::ReportSet reports = lockwatch::cli::read_reports(paths);
    print_warnings(reports);
    apply_baseline_file(reports, accepted, baseline);
    if (format == "json") {
      std::cout << lockwatch::cli::format_json(reports);
    } else if (format == "sarif") {
      std::cout << lockwatch::cli::format_sarif(reports, absolute("."));
    } else if (format == "dot") {
      std::cout << lockwatch::cli::format_dot(reports);
    } else if (format == "junit") {
      std::cout << lockwatch::cli::format_junit(reports);
    } else {
      std::cout << lockwatch::cli::format_text(reports);
    }
    return lockwatch::cli::has_errors(reports) ? kErrorsFound : 0;
  } catch (const lockwatch::cli::ReportError& error) {
    std::cerr << "lockwatch: error: " << error.what() << '\n';
    return kUsageError;
  } catch (const nlohmann::json::exception& error) {
    std::cerr << "lockwatch: error: a report record has a field of an unexpected type (" << error.what()
              << "); are these lockwatch JSON Lines reports of this version?\n";
    return kUsageError;
  }
}

int run_cli(int argc, char** argv) {
  CLI::App app{"lockwatch: finds deadlocks and synchronization bugs in unmodified programs"};
  app.require_subcommand(1);
  RunRequest request;
  CLI::App* run_command = app.add_subcommand("run", "run a command with lockwatch preloaded");
  run_command->add_option("-o,--option", request.options, "a LOCKWATCH_OPTIONS pair, key=value (repeatable)");
  run_command->add_option("--out", request.out, "the run directory for every process's report (default: a new temporary one)");
  run_command->add_option("--log-path", request.log_path,
                          "write JSON Lines reports to PATH.<pid>.jsonl instead, and exec CMD (no summary)");
  run_command->add_option("--exitcode", request.exitcode, "exit status when errors are found (0: keep the program's)")
      ->check(CLI::Range(0, 255));
  run_command->add_flag("-q,--quiet", request.quiet, "no text report on stderr");
  run_command->add_flag("--profile", request.profile, "print each process's contention profile at its exit");
  run_command->add_option("--suppressions", request.suppressions, "a suppressions file (kind:pattern lines)");
  run_command->add_option("--baseline", request.baseline, "accept the findings of this baseline file; fail on new ones");
  run_command->add_option("command", request.command, "the command and its arguments, after --");
  run_command->positionals_at_end();
  std::vector<std::string> report_paths;
  std::string report_format = "text";
  CLI::App* report_command = app.add_subcommand("report", "merge and show JSON Lines reports");
  report_command->add_option("paths", report_paths, "report files (.jsonl) or directories of them");
  report_command->add_option("--format", report_format, "text, json, sarif, dot (lock graph) or junit")
      ->check(CLI::IsMember({"text", "json", "sarif", "dot", "junit"}));
  std::string report_baseline;
  report_command->add_option("--baseline", report_baseline, "accept the findings of this baseline file");
  std::vector<std::string> baseline_paths;
  CLI::App* baseline_command =
      app.add_subcommand("baseline", "print a baseline of these reports' findings (save it, pass it as --baseline)");
  baseline_command->add_option("paths", baseline_paths, "report files (.jsonl) or directories of them");
  CLI::App* demo_command =
      app.add_subcommand("demo", "run bundled samples under lockwatch and explain each finding (build tree only)");
  pid_t dump_pid = 0;
  double dump_timeout = 5;
  CLI::App* dump_command =
      app.add_subcommand("dump", "print every thread of a live process run with lockwatch: state, stack, held locks");
  dump_command->add_option("pid", dump_pid, "the process")
      ->required()
      ->check(CLI::Validator(
          [](std::string& text) {
            const bool whole = !text.empty() && text.size() <= 9 && std::all_of(text.begin(), text.end(), ::isdigit);
            return whole && std::stol(text) > 0
                       ? std::string()
                       : "a process id is a positive whole number (as ps or pgrep print it), not '" + text + "'";
          },
          "PID"));
  dump_command->add_option("--timeout", dump_timeout, "seconds to wait for the dump (default 5)")
      ->check(CLI::Range(0.1, 600.0));
  const char* kUsage =
      "type: lockwatch run [options] -- CMD ARGS..., lockwatch report PATH... [--format F], lockwatch dump PID, "
      "lockwatch demo, or lockwatch --help";
  const std::vector<CLI::App*> subcommands = app.get_subcommands([](CLI::App*) { return true; });
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(subcommands.begin(), subcommands.end(), [&](CLI::App* sub) { return sub->get_name() == argv[1]; })) {
    std::cerr << "lockwatch: error: unknown subcommand '" << argv[1] << "'; " << kUsage << '\n';
    return kUsageError;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::cerr << "lockwatch: error: " << error.what() << "; " << kUsage << '\n';
    return kUsageError;
  }
  if ((report_command->parsed() && report_paths.empty()) || (baseline_command->parsed() && baseline_paths.empty())) {
    usage_error("no reports given; type: lockwatch " + std::string(report_command->parsed() ? "report" : "baseline") +
                " PATH... (the --out directory of lockwatch run, or .jsonl files)");
  }
  if (run_command->parsed()) run(request);
  if (demo_command->parsed()) return lockwatch::cli::run_demo();
  if (dump_command->parsed()) return lockwatch::cli::request_dump(dump_pid, dump_timeout);
  if (report_command->parsed()) return report(report_paths, report_format, report_baseline);
  if (baseline_command->parsed()) {
    try {
      const lockwatch::cli::ReportSet reports = lockwatch::cli::read_reports(baseline_paths);
      print_warnings(reports);
      std::cout << lockwatch::cli::baseline_text(reports);
      return 0;
    } catch (const lockwatch::cli::ReportError& error) {
      std::cerr << "lockwatch: error: " << error.what() << '\n';
      return kUsageError;
    }
  }
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

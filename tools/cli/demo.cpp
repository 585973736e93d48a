// The guided demo over the bundled samples; see demo.h.
#include "demo.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "finding_text.h"
#include "install_layout.h"
#include "report_reader.h"

namespace lockwatch::cli {
namespace {

namespace fs = std::filesystem;

struct DemoSample {
  const char* name;
  const char* story;     // what the program does
  const char* expected;  // the rule id of its one finding; empty: none
};

constexpr DemoSample kSamples[] = {
    {"abba",
     "two threads take mutexes A and B in opposite orders, one thread after the other, so this run "
     "never hangs",
     "lock_order_inversion"},
    {"misuse_unlock_not_owner", "main locks a mutex, then another thread unlocks it", "misuse/unlock_not_owner"},
    {"ordered", "8 threads lock subsets of 16 mutexes, always in increasing order", ""},
};

struct Explanation {
  const char* kind;
  const char* means;
  const char* fix;
};

constexpr Explanation kExplanations[] = {
    {"lock_order_inversion",
     "Some thread took these locks in one order and another thread in the opposite order. Each "
     "edge of the cycle is 'held this lock, then asked for that one'. Run at the same time, each "
     "thread can hold one lock and wait forever for the next: a deadlock waiting to happen, even "
     "though this run did not hang.",
     "Choose one global order for these locks and take them in that order everywhere (or take them "
     "together with std::scoped_lock, or merge them into one lock). The scenario table shows the "
     "interleaving that deadlocks."},
    {"deadlock",
     "These threads are deadlocked now: each is blocked on a lock that the next one holds.",
     "Make every thread take these locks in one global order; the stacks show where each took "
     "and where each waits."},
    {"misuse",
     "A call broke the rules of the threading API: the program may work today, but the behaviour "
     "is undefined or depends on the mutex type (a default mutex lets it pass, an error-checking one "
     "fails it, a robust one may not).",
     "The report's 'Fix:' line says what to do for this kind of misuse; the stacks show the bad "
     "call and the evidence (where the lock was taken, by which thread)."},
    {"stall", "A thread waited on a lock for longer than stall_ms, with no cycle.",
     "Look at who holds the lock and why for so long; shorten the critical section."},
    {"hang", "Every thread of the process was blocked in synchronization calls: nothing could progress.",
     "Find the missing unlock, signal or post in the stacks shown."},
    {"long_hold", "A lock was held longer than long_hold_ms.",
     "Move slow work (I/O, allocation, waiting) out of the critical section."},
};

const Explanation* explanation_for(const std::string& kind) {
  for (const Explanation& explanation : kExplanations) {
    if (kind == explanation.kind) return &explanation;
  }
  return nullptr;
}

// Runs `program` with the library preloaded, reporting under `log_prefix` and showing its text
// report on stdout; its status.
int run_preloaded(const fs::path& program, const fs::path& library, const std::string& log_prefix) {
  std::cout.flush();
  const pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    dup2(STDOUT_FILENO, STDERR_FILENO);  // the report in order with the explanations
    setenv("LD_PRELOAD", library.c_str(), 1);
    setenv("LOCKWATCH_OPTIONS", ("log_path=" + log_prefix).c_str(), 1);
    execl(program.c_str(), program.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Wraps `text` at about 90 columns, each line indented.
void print_wrapped(const std::string& label, const std::string& text) {
  std::string line = "  " + label;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (line.size() + word.size() + 1 > 92) {
      std::cout << line << "\n";
      line = std::string(2 + label.size(), ' ');
    } else if (line.back() != ' ') {
      line += ' ';
    }
    line += word;
    start = end + 1;
  }
  std::cout << line << "\n";
}

}  // namespace

int run_demo() {
  const fs::path library = find_library();
  const fs::path samples = samples_directory();
  if (library.empty()) {
    std::cerr << "lockwatch: error: liblockwatch.so not found next to this program (looked in ../lib and .); "
                 "build it: cmake --build build\n";
    return 2;
  }
  for (const DemoSample& sample : kSamples) {
    std::error_code error;
    if (!fs::exists(samples / sample.name, error)) {
      std::cerr << "lockwatch: error: the demo's sample programs are not built (no " << (samples / sample.name).string()
                << "); they live in a build tree, not an install: run cmake --build build, then build/bin/lockwatch demo\n";
      return 2;
    }
  }
  std::string directory = (fs::temp_directory_path() / "lockwatch-demo-XXXXXX").string();
  if (mkdtemp(directory.data()) == nullptr) {
    std::cerr << "lockwatch: error: cannot create a temporary directory: " << strerror(errno) << "; check TMPDIR\n";
    return 2;
  }

  bool as_expected = true;
  size_t number = 0;
  for (const DemoSample& sample : kSamples) {
    std::cout << "\n=== " << ++number << "/" << std::size(kSamples) << ": " << sample.name << ": " << sample.story
              << " ===\n$ lockwatch run -- " << (samples / sample.name).string() << "\n";
    const fs::path reports_directory = fs::path(directory) / sample.name;
    fs::create_directory(reports_directory);
    const int status = run_preloaded(samples / sample.name, library, (reports_directory / "report").string());
    std::cout << "(exit status " << status << (status == 66 ? ": lockwatch's exitcode, error findings" : "")
              << ")\n";
    std::vector<std::string> found;
    try {
      const ReportSet reports = read_reports({reports_directory.string()});
      for (const ReportedFinding& finding : reports.findings) {
        const std::string kind = string_field(finding.record, "kind");
        found.push_back(rule_id(finding.record));
        std::cout << "\nFinding: " << rule_id(finding.record) << ": " << string_field(finding.record, "message")
                  << "\n";
        if (const Explanation* explanation = explanation_for(kind)) {
          print_wrapped("What it means: ", explanation->means);
          print_wrapped("How to fix it: ", explanation->fix);
        }
      }
    } catch (const ReportError& error) {
      std::cerr << "lockwatch: error: " << error.what() << '\n';
    }
    if (found.empty()) std::cout << "No findings: a program that takes its locks in one order has nothing to report.\n";
    const bool expected = sample.expected[0] == '\0' ? found.empty()
                                                     : found.size() == 1 && found.front() == sample.expected;
    if (!expected) {
      as_expected = false;
      std::cerr << "lockwatch: error: demo sample " << sample.name << " should give "
                << (sample.expected[0] == '\0' ? "no finding" : sample.expected) << ", it gave "
                << (found.empty() ? "none" : found.front() + (found.size() > 1 ? " and more" : "")) << "\n";
    }
  }
  std::error_code error;
  fs::remove_all(directory, error);
  if (!as_expected) return 1;
  std::cout << "\nThe demo ran as expected. Next: lockwatch run -- YOUR_PROGRAM ARGS... (see the README)\n";
  return 0;
}

}  // namespace lockwatch::cli

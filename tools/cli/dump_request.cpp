// Checks, signal and wait of `lockwatch dump PID`; see dump_request.h.
#include "dump_request.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "finding_text.h"
#include "options.h"

namespace lockwatch::cli {
namespace {

constexpr int kDumpRequestTag = 0x6c77646d;  // the shim's (preload/signal_sampler.h)
constexpr const char* kWatchdogThreadName = "lockwatch-wd";  // the shim's watchdog thread
constexpr const char* kNoDumpThreadName = "lockwatch-nodmp";  // the same, once the program took the signal
constexpr int kFailed = 2;

int fail(const std::string& message) {
  std::cerr << "lockwatch: error: " << message << '\n';
  return kFailed;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return true;
}

// The value of `name` in a NUL-separated environment block.
std::string environment_value(const std::string& environment, const std::string& name) {
  std::istringstream entries(environment);
  std::string entry;
  while (std::getline(entries, entry, '\0')) {
    if (entry.compare(0, name.size() + 1, name + "=") == 0) return entry.substr(name.size() + 1);
  }
  return {};
}

// The hex mask of a /proc status line such as "SigCgt:".
unsigned long long status_mask(const std::string& status, const std::string& key) {
  const size_t at = status.find("\n" + key);
  return at == std::string::npos ? 0 : std::stoull(status.substr(at + key.size() + 1), nullptr, 16);
}

// The thread of `pid` named `name`, 0 when none is.
pid_t thread_named(pid_t pid, const std::string& name) {
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
    std::string comm;
    if (read_file(task.path().string() + "/comm", comm) && comm == name + "\n") {
      return static_cast<pid_t>(std::stol(task.path().filename().string()));
    }
  }
  return 0;
}

}  // namespace

int request_dump(pid_t pid, double timeout_seconds) {
  const std::string proc = "/proc/" + std::to_string(pid);
  std::string maps;
  std::string status;
  std::string environment;
  if (!read_file(proc + "/status", status) || !read_file(proc + "/maps", maps)) {
    return fail("no process " + std::to_string(pid) + " that you may inspect; give the pid of a running process of yours");
  }
  if (maps.find("/liblockwatch.so") == std::string::npos) {
    return fail("process " + std::to_string(pid) +
                " does not run with liblockwatch.so; start it with lockwatch run -- CMD (or LD_PRELOAD) first");
  }
  read_file(proc + "/environ", environment);
  const ParsedOptions parsed = parse_options(environment_value(environment, "LOCKWATCH_OPTIONS"));
  const Options& options = parsed.options;
  if (options.sample_signal == 0) {
    return fail("process " + std::to_string(pid) + " runs with sample_signal=0: it takes no dump requests");
  }
  if (((status_mask(status, "SigCgt:") >> (options.sample_signal - 1)) & 1) == 0) {
    return fail("process " + std::to_string(pid) + " does not catch signal " + std::to_string(options.sample_signal) +
                " (its own handler replaced lockwatch's?); choose another with the sample_signal option");
  }
  // The watchdog thread alone is signalled: a signal sent to the process could land in any of
  // its threads and interrupt the call it is in.
  const pid_t watchdog = thread_named(pid, kWatchdogThreadName);
  if (watchdog == 0 && thread_named(pid, kNoDumpThreadName) != 0) {
    return fail("process " + std::to_string(pid) + " replaced lockwatch's handler of signal " +
                std::to_string(options.sample_signal) +
                " with its own, so it takes no dump requests; start it with another sample_signal");
  }
  if (watchdog == 0) {
    return fail("process " + std::to_string(pid) +
                " has no lockwatch watchdog thread yet (it starts with the program's second thread)");
  }
  // Where its report goes, as the process sees the path (relative to its working directory).
  std::string report;
  if (!options.log_path.empty()) {
    report = options.log_path + "." + std::to_string(pid) + ".jsonl";
    if (report[0] != '/') report = proc + "/cwd/" + report;
  }
  std::string before;
  read_file(report, before);
  siginfo_t request{};
  request.si_signo = options.sample_signal;
  request.si_code = SI_QUEUE;
  request.si_pid = getpid();
  request.si_uid = getuid();
  request.si_value.sival_int = kDumpRequestTag;
  if (syscall(SYS_rt_tgsigqueueinfo, pid, watchdog, options.sample_signal, &request) != 0) {
    return fail("cannot signal process " + std::to_string(pid) + ": " + std::string(strerror(errno)));
  }
  if (report.empty()) {
    std::cout << "lockwatch: dump requested; process " << pid
              << " writes it to its stderr (with log_path set, it is printed here too)\n";
    return 0;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string now;
    if (read_file(report, now) && now.size() > before.size() && now.compare(0, before.size(), before) == 0) {
      std::istringstream lines(now.substr(before.size()));
      std::string line;
      while (std::getline(lines, line)) {
        const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
        if (!record.is_object() || record.value("type", "") != "dump") continue;
        std::cout << "Thread dump of process " << pid << " (" << record.value("time", "") << "):\n"
                  << thread_dump_text(record.value("threads", nlohmann::json::array()));
        return 0;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return fail("process " + std::to_string(pid) + " wrote no dump to " + report + " within " +
              std::to_string(static_cast<int>(timeout_seconds)) + " s; its threads may all block signal " +
              std::to_string(options.sample_signal));
}

}  // namespace lockwatch::cli

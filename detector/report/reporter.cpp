// Finding -> JSON Lines + text; see reporter.h.
#include "report/reporter.h"

#include <limits.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "report/fingerprint.h"
#include "report/diagnostics.h"
#include "report/json_records.h"
#include "report/profile_report.h"
#include "report/resolved_stacks.h"
#include "report/text_report.h"

namespace lockwatch {

namespace {

Suppressions load_suppressions(const Options& options) {
  if (options.suppressions.empty()) return {};
  std::vector<std::string> errors;
  Suppressions loaded = Suppressions::load(options.suppressions, errors);
  for (const std::string& error : errors) diagnostic_error(error);
  return loaded;
}

// Outside the reporter's lock: stderr may be a pipe nobody reads, and fork() waits for the
// lock. The processes of a test suite often share one stderr pipe, and a pipe keeps a write
// whole only up to PIPE_BUF bytes: a longer report written at once is cut where the pipe
// fills, and another process's report lands in the middle of a line. So the text goes in
// chunks of whole lines of at most PIPE_BUF bytes: reports written at the same moment may
// alternate by chunks, but no line is ever cut (one longer than PIPE_BUF alone excepted).
void write_stderr(const std::string& text) {
  for (size_t done = 0; done < text.size();) {
    size_t end = std::min(text.size(), done + PIPE_BUF);
    if (end < text.size()) {
      const size_t newline = text.rfind('\n', end - 1);
      if (newline != std::string::npos && newline >= done) end = newline + 1;
    }
    while (done < end) {
      const ssize_t written = ::write(STDERR_FILENO, text.data() + done, end - done);
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) return;
      done += static_cast<size_t>(written);
    }
  }
}

}  // namespace

Reporter::Reporter(const Options& options, const StackDepot& stacks)
    : options_(options), stacks_(stacks), suppressions_(load_suppressions(options)) {}

void Reporter::start() {
  SpinLockGuard guard(lock_);
  adopt_calling_process();
}

void Reporter::adopt_calling_process() {
  const pid_t pid = getpid();
  if (pid == process_) return;
  process_ = pid;
  counts_.clear();
  suppressed_.clear();
  errors_.store(0, std::memory_order_relaxed);
  if (!options_.log_path.empty() && log_.open(options_.log_path)) {
    log_.write_line(start_record(ProcessInfo::current(), options_));
  }
}

void Reporter::lock_for_fork() {
  lock_.lock();
  symbolizer_.lock_for_fork();
}

void Reporter::unlock_after_fork() {
  symbolizer_.unlock_after_fork();
  lock_.unlock();
}

void Reporter::report(const Finding& finding) {
  in_flight_.fetch_add(1, std::memory_order_acq_rel);
  struct Landed {
    std::atomic<int>& count;
    ~Landed() { count.fetch_sub(1, std::memory_order_acq_rel); }
  } landed{in_flight_};
  ResolvedStacks stacks(finding, stacks_, symbolizer_);
  if (suppressions_.size() > 0 && suppressions_.suppresses(finding, stacks)) {
    SpinLockGuard guard(lock_);
    adopt_calling_process();
    ++suppressed_[finding.kind];
    return;
  }
  const std::string message = finding_message(finding);
  const std::string print = fingerprint(finding, stacks);
  const std::string record = finding_record(finding, stacks, print, message);
  const std::string text = options_.quiet ? std::string() : text_report(finding, stacks, message, print, getpid());

  {
    SpinLockGuard guard(lock_);
    adopt_calling_process();
    log_.write_line(record);
    ++counts_[finding.kind];
    if (finding.severity == Severity::error && options_.fail_on.contains(finding.kind)) {
      errors_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  write_stderr(text);
}

void Reporter::report_dump(const std::vector<FindingThreadDump>& threads) {
  ResolvedStacks stacks(threads, stacks_, symbolizer_);
  write(dump_record(threads, stacks), dump_text(threads, stacks, getpid()));
}

void Reporter::report_long_hold_end(const Finding& finding, uint64_t held_ms) {
  ResolvedStacks stacks(finding, stacks_, symbolizer_);
  if (suppressions_.size() > 0 && suppressions_.suppresses(finding, stacks)) return;
  const std::string print = fingerprint(finding, stacks);
  write(long_hold_end_record(print, finding, held_ms), long_hold_end_text(finding, held_ms, print, getpid()));
}

void Reporter::report_profile(const ProfileSnapshot& profile) {
  if (profile.locks.empty()) return;  // nothing over the threshold: nothing to symbolize or say
  ResolvedStacks stacks(profile_stacks(profile), stacks_, symbolizer_);
  const std::string record = profile_record(profile, stacks, options_);
  {
    SpinLockGuard guard(lock_);
    adopt_calling_process();
    log_.write_line(record);
  }
  // A process prints nothing unless it has findings or the profile was asked for (SPEC).
  if (options_.profile == ProfileMode::print && !options_.quiet) {
    write_stderr(profile_text(profile, stacks, options_, getpid()));
  }
}

void Reporter::write(const std::string& record, const std::string& text) {
  {
    SpinLockGuard guard(lock_);
    adopt_calling_process();
    log_.write_line(record);
  }
  if (!options_.quiet) write_stderr(text);
}

void Reporter::finish(int exit_status) {
  const timespec tick{0, 10'000'000};
  for (int waited = 0; waited < 300 && in_flight_.load(std::memory_order_acquire) > 0; ++waited) nanosleep(&tick, nullptr);
  SpinLockGuard guard(lock_);
  adopt_calling_process();
  log_.write_line(end_record(exit_status, counts_, suppressed_, errors_.load(std::memory_order_relaxed)));
}

}  // namespace lockwatch

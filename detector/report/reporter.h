// Reporter: the FindingSink of a watched process. For each finding it symbolizes the stacks,
// computes the fingerprint, writes the JSON Lines record (flushed at once) and, unless quiet,
// the text report on stderr; it counts findings for the `end` record and the exit status.
// A process with nothing to report prints nothing. Thread-safe: one SpinLock serialises
// reports, so records and text never interleave.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "finding.h"
#include "lock_profile.h"
#include "options.h"
#include "report/process_info.h"
#include "report/report_log.h"
#include "report/suppressions.h"
#include "report/symbolizer.h"
#include "spin_lock.h"
#include "stack_depot.h"

namespace lockwatch {

class Reporter : public FindingSink {
 public:
  // Loads the suppressions file named in `options` (errors go to the diagnostics).
  Reporter(const Options& options, const StackDepot& stacks);

  // Opens the log (when log_path is set) and writes the `start` record. A forked child is
  // adopted at its first record: counts restart and it opens its own file (a child that
  // execs at once writes nothing; its new image starts its own report).
  void start();
  void report(const Finding& finding) override;
  void report_dump(const std::vector<FindingThreadDump>& threads) override;
  void report_long_hold_end(const Finding& finding, uint64_t held_ms) override;
  // Writes the `profile` record and, with profile=print, the tables on stderr.
  void report_profile(const ProfileSnapshot& profile);
  // Writes the `end` record with the program's own exit status, after waiting (up to a few
  // seconds) for reports other threads are still making: a finding being symbolized while
  // the program exits is written, not lost.
  void finish(int exit_status);
  // Findings of this process whose kind is in fail_on (error severity only).
  size_t errors() const { return errors_.load(std::memory_order_relaxed); }

  // fork(): held by the forking thread across the fork, so the child inherits no lock that a
  // vanished thread was holding.
  void lock_for_fork();
  void unlock_after_fork();
  // In a forked child: reports other threads were making are not its to wait for.
  void forget_other_threads() { in_flight_.store(0, std::memory_order_relaxed); }

 private:
  void adopt_calling_process();  // under lock_
  // Writes `record` to the log and, unless quiet, `text` to stderr.
  void write(const std::string& record, const std::string& text);

  const Options& options_;
  const StackDepot& stacks_;
  SpinLock lock_;
  Symbolizer symbolizer_;
  ReportLog log_;
  pid_t process_ = 0;  // the process counts_ and log_ belong to
  std::map<std::string, size_t> counts_;
  std::map<std::string, size_t> suppressed_;
  Suppressions suppressions_;
  std::atomic<size_t> errors_{0};
  std::atomic<int> in_flight_{0};  // reports between their start and their record
};

}  // namespace lockwatch

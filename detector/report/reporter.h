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
#include "options.h"
#include "report/process_info.h"
#include "report/report_log.h"
#include "report/symbolizer.h"
#include "spin_lock.h"
#include "stack_depot.h"

namespace lockwatch {

class Reporter : public FindingSink {
 public:
  Reporter(const Options& options, const StackDepot& stacks);

  // Opens the log (when log_path is set) and writes the `start` record. Called again in a
  // forked child, it opens the child's own file.
  void start();
  void report(const Finding& finding) override;
  // Writes the `end` record with the program's own exit status.
  void finish(int exit_status);
  // Findings whose kind is in fail_on (error severity only).
  size_t errors() const { return errors_.load(std::memory_order_relaxed); }

 private:
  void ensure_log_for_this_process();

  const Options& options_;
  const StackDepot& stacks_;
  SpinLock lock_;
  Symbolizer symbolizer_;
  ReportLog log_;
  std::map<std::string, size_t> counts_;
  std::atomic<size_t> errors_{0};
};

}  // namespace lockwatch

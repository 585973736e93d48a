// Watchdog: what the watchdog thread makes of each look at the threads (see wait_for_graph.h
// for the look itself). It follows episodes over time (a blocking call, a lock hold) and
// reports, each once per episode:
//   deadlock  - a cycle of stuck threads (seen on two consecutive looks; when the cycle runs
//               through a condvar wait, only once every thread has been blocked stall_ms);
//   hang      - every live thread of the process blocked in synchronization for stall_ms;
//   stall     - a thread blocked on a lock for stall_ms, with where its owner is now;
//   long_hold - a lock held for long_hold_ms (while held), then its end with the total.
// Durations are lower bounds with the resolution of one look (watchdog_ms): an episode starts
// when a look first sees it, so nothing is reported before it has really lasted that long,
// and the fast path never reads a clock.
// Not thread-safe: the watchdog thread alone uses it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "detector.h"
#include "finding.h"
#include "options.h"
#include "thread_sampler.h"
#include "wait_for_graph.h"

namespace lockwatch {

class Watchdog {
 public:
  enum class Verdict { none, deadlock, hang };

  Watchdog(const Options& options, Detector& detector, FindingSink& sink);

  // One look, at `now_ms` on a monotonic clock. A deadlock or hang is reported once; the
  // verdict tells the caller to apply on_deadlock.
  Verdict look(uint64_t now_ms, ThreadSampler& sampler);
  // A dump of every thread now, to the report (asked for from outside).
  void dump(uint64_t now_ms, ThreadSampler& sampler);
  // Long holds reported whose end has not been seen yet.
  size_t open_long_holds() const;

 private:
  struct Episode {
    uint64_t word;
    uint32_t episode;
    uint64_t since_ms;
    bool reported;  // a stall of this episode was reported
  };
  struct Hold {
    uint64_t since_ms;
    uint64_t last_seen_ms;
    uintptr_t address;
    StackId acquired_at;
    bool reported;
    Finding finding;  // the long_hold finding, for its end
  };
  using HoldKey = std::pair<uint32_t, uint32_t>;  // thread number, HeldLock::serial

  void follow_episodes(const std::vector<ThreadSnapshot>& threads, uint64_t now_ms);
  void follow_holds(const std::vector<ThreadSnapshot>& threads, uint64_t now_ms, ThreadSampler& sampler);
  // Every live thread has been blocked (waits_forever) in the same calls for `ms`, as the
  // looks saw it.
  bool everyone_blocked_for(const std::vector<ThreadSnapshot>& threads, uint64_t now_ms, uint64_t ms,
                            ThreadSampler& sampler);
  void report_deadlock(const std::vector<ThreadSnapshot>& threads, const std::vector<WaitLink>& cycle,
                       uint64_t now_ms, ThreadSampler& sampler);
  void report_hang(const std::vector<ThreadSnapshot>& threads, uint64_t now_ms, ThreadSampler& sampler);
  void report_stalls(const std::vector<ThreadSnapshot>& threads, uint64_t now_ms, ThreadSampler& sampler);
  FindingThreadDump thread_dump(const std::vector<ThreadSnapshot>& threads, size_t index, uint64_t now_ms,
                                ThreadSampler& sampler) const;
  FindingLock lock_evidence(uintptr_t address, LockKind kind) const;
  uint64_t blocked_ms(const ThreadSnapshot& thread, uint64_t now_ms) const;

  const Options& options_;
  Detector& detector_;
  FindingSink& sink_;
  std::map<uint32_t, Episode> episodes_;  // by thread number: the blocking call it is in
  std::map<HoldKey, Hold> holds_;
  std::set<StackId> long_hold_sites_;  // acquisition sites whose long hold was reported
  bool deadlock_reported_ = false;
  bool hang_reported_ = false;
  uint64_t all_blocked_signature_ = 0;  // the threads and calls of the all-blocked state, 0: none
  uint64_t all_blocked_since_ms_ = 0;
};

}  // namespace lockwatch

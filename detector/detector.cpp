// Event handling and cycle reporting; see detector.h for the fast/slow path split.
#include "detector.h"

#include <algorithm>

#include "internal_allocator.h"
#include "reentrancy.h"
#include "report/diagnostics.h"

#include <fmt/format.h>

namespace lockwatch {

Detector::Detector(const Options& options, FindingSink& sink) : stack_depth_(options.stack_depth), sink_(sink) {}

void Detector::attach_thread(ThreadState& thread, pid_t tid) {
  thread.number = next_thread_number_.fetch_add(1, std::memory_order_relaxed);
  thread.tid = tid;
}

void Detector::lock_for_fork() {
  graph_.lock_for_fork();
  locks_.lock_for_fork();
  stacks_.lock_for_fork();
  internal_allocator_lock_for_fork();
}

void Detector::unlock_after_fork() {
  internal_allocator_unlock_after_fork();
  stacks_.unlock_after_fork();
  locks_.unlock_after_fork();
  graph_.unlock_after_fork();
}

void Detector::on_lock_initialized(ThreadState& thread, uintptr_t address, LockKind kind, const CallSite& site) {
  InsideLockwatch inside;
  on_lock_destroyed(address);
  const StackId stack = thread.sites.stack_for(site, stack_depth_, stacks_);
  locks_.find_or_insert(address, kind, stack, thread.number);
}

void Detector::on_lock_destroyed(uintptr_t address) {
  InsideLockwatch inside;
  graph_.remove_lock(locks_.remove(address));
}

void Detector::check_edge(ThreadState& thread, size_t held_index, LockId to, StackId requested_at) {
  InsideLockwatch inside;  // reporting allocates, formats and may load the symbolizer
  const LockId from = thread.held[held_index].lock;
  thread.known_edges.remember(from, to);
  if (graph_.contains(from, to)) return;
  EdgeEvidence evidence{};
  evidence.thread = thread.number;
  evidence.tid = thread.tid;
  evidence.held_stack = thread.held[held_index].acquired_at;
  evidence.requested_stack = requested_at;
  for (size_t i = 0; i < thread.held_count && evidence.gate_count < EdgeEvidence::kMaxGates; ++i) {
    if (i != held_index) evidence.gates[evidence.gate_count++] = thread.held[i].lock;
  }
  Cycle cycle;
  switch (graph_.add_edge(from, to, evidence, cycle)) {
    case LockOrderGraph::AddResult::closes_new_cycle:
      report_cycle(cycle);
      break;
    case LockOrderGraph::AddResult::full:
      if (!graph_full_reported_.exchange(true)) {
        diagnostic_error(fmt::format("the lock-order graph holds its maximum of {} edges; new lock orders are not checked",
                                     LockOrderGraph::kMaxEdges));
      }
      break;
    case LockOrderGraph::AddResult::known_or_stale:
    case LockOrderGraph::AddResult::added:
      break;
  }
}

void Detector::report_cycle(const Cycle& found) noexcept {
  // Reporting allocates; if memory runs out the finding is lost, never the host program.
  try {
    report_cycle_or_throw(found);
  } catch (...) {
  }
}

void Detector::report_cycle_or_throw(const Cycle& found) {
  // Told from the edge of the earliest thread: M1 is what T1 (or the lowest) took first.
  Cycle cycle = found;
  auto earliest = std::min_element(cycle.begin(), cycle.end(), [](const CycleEdge& a, const CycleEdge& b) {
    return a.evidence.thread < b.evidence.thread;
  });
  std::rotate(cycle.begin(), earliest, cycle.end());
  Finding finding;
  finding.kind = "lock_order_inversion";
  finding.severity = Severity::error;
  auto lock_index = [&](LockId id) {
    for (size_t i = 0; i < finding.locks.size(); ++i) {
      if (cycle[i].from == id) return i;
    }
    return finding.locks.size();
  };
  for (const CycleEdge& edge : cycle) {
    LockInfo info{};
    locks_.info(edge.from, info);
    finding.locks.push_back({info.address, info.kind, info.first_use});
  }
  for (const CycleEdge& edge : cycle) {
    finding.cycle.push_back({lock_index(edge.from), lock_index(edge.to), edge.evidence.thread, edge.evidence.held_stack,
                             edge.evidence.requested_stack});
    const bool known = std::any_of(finding.threads.begin(), finding.threads.end(),
                                   [&](const FindingThread& t) { return t.number == edge.evidence.thread; });
    if (!known) finding.threads.push_back({edge.evidence.thread, edge.evidence.tid});
  }
  sink_.report(finding);
}

}  // namespace lockwatch

// Episodes over time and the watchdog's findings; see watchdog.h.
#include "watchdog.h"

#include <algorithm>

namespace lockwatch {
namespace {

const char* blocking_name(BlockingKind kind) {
  switch (kind) {
    case BlockingKind::lock:
    case BlockingKind::timed_lock:
      return "lock";
    case BlockingKind::condition_wait:
      return "condition_wait";
    case BlockingKind::join:
      return "join";
    case BlockingKind::barrier:
      return "barrier";
    case BlockingKind::semaphore:
      return "semaphore";
    case BlockingKind::none:
      break;
  }
  return "running";
}

}  // namespace

Watchdog::Watchdog(const Options& options, Detector& detector, FindingSink& sink)
    : options_(options), detector_(detector), sink_(sink) {}

Watchdog::Verdict Watchdog::look(uint64_t now_ms, ThreadSampler& sampler) {
  const std::vector<ThreadSnapshot> threads = snapshot_threads(detector_.threads());
  follow_episodes(threads, now_ms);
  follow_holds(threads, now_ms, sampler);
  Verdict verdict = Verdict::none;
  if (!deadlock_reported_ && !hang_reported_) {
    std::vector<WaitLink> cycle = find_deadlock(threads, false);
    // Seen on two looks: every member was already in this very call at the previous one.
    const bool stable = !cycle.empty() && std::all_of(cycle.begin(), cycle.end(), [&](const WaitLink& link) {
      return episodes_.at(threads[link.thread].number).since_ms < now_ms;
    });
    if (stable) {
      report_deadlock(threads, cycle, now_ms, sampler);
      verdict = Verdict::deadlock;
    } else if (everyone_blocked_for(threads, now_ms, options_.stall_ms, sampler)) {
      cycle = find_deadlock(threads, true);
      // A semaphore wait ends by a sem_post from a signal handler as well (the POSIX idiom):
      // with handlers installed, a hang on semaphores is not certain.
      const bool on_semaphores = std::any_of(threads.begin(), threads.end(), [](const ThreadSnapshot& thread) {
        return thread.blocked() == BlockingKind::semaphore;
      });
      if (!cycle.empty()) {
        report_deadlock(threads, cycle, now_ms, sampler);
        verdict = Verdict::deadlock;
      } else if (!on_semaphores || !sampler.program_handles_signals()) {
        report_hang(threads, now_ms, sampler);
        verdict = Verdict::hang;
      }
    }
  }
  if (verdict == Verdict::none) report_stalls(threads, now_ms, sampler);
  return verdict;
}

void Watchdog::follow_episodes(const std::vector<ThreadSnapshot>& threads, uint64_t now_ms) {
  std::map<uint32_t, Episode> now;
  for (const ThreadSnapshot& thread : threads) {
    if (thread.word == 0) continue;
    auto known = episodes_.find(thread.number);
    if (known != episodes_.end() && known->second.word == thread.word && known->second.episode == thread.episode) {
      now.emplace(thread.number, known->second);
    } else {
      now.emplace(thread.number, Episode{thread.word, thread.episode, now_ms, false});
    }
  }
  episodes_ = std::move(now);
}

uint64_t Watchdog::blocked_ms(const ThreadSnapshot& thread, uint64_t now_ms) const {
  auto episode = episodes_.find(thread.number);
  return episode == episodes_.end() ? 0 : now_ms - episode->second.since_ms;
}

bool Watchdog::everyone_blocked_for(const std::vector<ThreadSnapshot>& threads, uint64_t now_ms, uint64_t ms,
                                    ThreadSampler& sampler) {
  // Each live thread blocked, in the same calls as at every look since the state began (a
  // thread that leaves its call and one that ends both start it anew: a lock just released
  // leaves its waiter looking blocked until it runs).
  uint64_t signature = 0xcbf29ce484222325ull;
  size_t live = 0;
  for (const ThreadSnapshot& thread : threads) {
    if (thread.exited) continue;
    if (!thread.waits_forever()) {
      all_blocked_signature_ = 0;
      return false;
    }
    signature = (signature ^ (uint64_t{thread.number} << 32 | thread.episode)) * 0x100000001b3ull;
    ++live;
  }
  // Threads lockwatch never saw (they made no synchronization call) are running.
  if (live == 0 || live != sampler.process_threads()) {
    all_blocked_signature_ = 0;
    return false;
  }
  if (signature != all_blocked_signature_) {
    all_blocked_signature_ = signature;
    all_blocked_since_ms_ = now_ms;
  }
  return now_ms - all_blocked_since_ms_ >= ms;
}

FindingLock Watchdog::lock_evidence(uintptr_t address, LockKind kind) const {
  LockInfo info{};
  const LockId lock = detector_.locks().find(address);
  const bool known = lock.valid() && detector_.locks().info(lock, info);
  return {address, known ? info.kind : kind, known ? info.first_use : kNoStack};
}

FindingThreadDump Watchdog::thread_dump(const std::vector<ThreadSnapshot>& threads, size_t index, uint64_t now_ms,
                                        ThreadSampler& sampler) const {
  const ThreadSnapshot& thread = threads[index];
  FindingThreadDump dump;
  dump.number = thread.number;
  dump.tid = thread.tid;
  dump.state = thread.exited ? "exited" : blocking_name(thread.blocked());
  if (thread.word != 0) {
    dump.timed = thread.blocked() == BlockingKind::timed_lock || BlockingOperation::timed(thread.word);
    dump.object = thread.object();
    dump.blocked_ms = blocked_ms(thread, now_ms);
  }
  if (thread.blocked() == BlockingKind::join) {
    for (const ThreadSnapshot& other : threads) {
      if (other.self == thread.object()) dump.joins = other.number;
    }
  }
  if (thread.exited) {
    dump.stack_source = "exited";
  } else if ((thread.blocked() == BlockingKind::lock || thread.blocked() == BlockingKind::timed_lock) &&
             thread.request.acquired_at != kNoStack) {
    dump.stack = thread.request.acquired_at;  // inside the lock call made there
    dump.stack_source = "blocked call";
  } else {
    const CurrentStack current = sampler.current_stack(thread.tid, detector_.stacks());
    dump.stack = current.stack;
    dump.stack_source = current.source;
    if (thread.word == 0) dump.state = current.state;
  }
  for (const HeldLock& held : thread.held) {
    auto hold = holds_.find({thread.number, held.serial});
    const uint64_t held_ms = hold == holds_.end() ? 0 : now_ms - hold->second.since_ms;
    dump.held.push_back({held.address, lock_evidence(held.address, held.kind).kind, held.mode, held.acquired_at, held_ms});
  }
  return dump;
}

void Watchdog::report_deadlock(const std::vector<ThreadSnapshot>& threads, const std::vector<WaitLink>& cycle,
                               uint64_t now_ms, ThreadSampler& sampler) {
  deadlock_reported_ = true;
  Finding finding;
  finding.kind = "deadlock";
  finding.severity = Severity::error;
  const bool all_locks = std::all_of(cycle.begin(), cycle.end(), [&](const WaitLink& link) {
    return threads[link.thread].blocked() == BlockingKind::lock;
  });
  for (const WaitLink& link : cycle) {
    const ThreadSnapshot& thread = threads[link.thread];
    finding.threads.push_back({thread.number, thread.tid});
    finding.dump.push_back(thread_dump(threads, link.thread, now_ms, sampler));
  }
  if (all_locks) {
    // Lock i is the one thread i holds and thread i-1 waits for; the edges carry both stacks.
    const size_t n = cycle.size();
    for (size_t i = 0; i < n; ++i) {
      const ThreadSnapshot& thread = threads[cycle[i].thread];
      const ThreadSnapshot& previous = threads[cycle[(i + n - 1) % n].thread];
      StackId held_stack = kNoStack;
      LockMode held_mode = LockMode::exclusive;
      for (const HeldLock& held : thread.held) {
        if (held.address == previous.object()) {
          held_stack = held.acquired_at;
          held_mode = held.mode;
        }
      }
      finding.locks.push_back(lock_evidence(previous.object(), previous.request.kind));
      finding.cycle.push_back({i, (i + 1) % n, held_mode, thread.request.mode, thread.number, held_stack,
                               thread.request.acquired_at});
    }
  } else {
    for (const WaitLink& link : cycle) {
      const ThreadSnapshot& thread = threads[link.thread];
      if (thread.blocked() == BlockingKind::lock || thread.blocked() == BlockingKind::condition_wait) {
        finding.locks.push_back(lock_evidence(thread.object(), thread.blocked() == BlockingKind::lock
                                                                   ? thread.request.kind
                                                                   : LockKind::condvar));
      }
    }
  }
  sink_.report(finding);
}

void Watchdog::report_hang(const std::vector<ThreadSnapshot>& threads, uint64_t now_ms, ThreadSampler& sampler) {
  hang_reported_ = true;
  Finding finding;
  finding.kind = "hang";
  finding.severity = Severity::error;
  uint64_t shortest = UINT64_MAX;
  for (size_t i = 0; i < threads.size(); ++i) {
    if (threads[i].exited) continue;
    finding.threads.push_back({threads[i].number, threads[i].tid});
    finding.dump.push_back(thread_dump(threads, i, now_ms, sampler));
    shortest = std::min(shortest, finding.dump.back().blocked_ms);
  }
  // A thread that ended holding a lock one of them waits for is why that one waits: shown too.
  for (size_t i = 0; i < threads.size(); ++i) {
    if (!threads[i].exited) continue;
    const bool awaited = std::any_of(threads.begin(), threads.end(), [&](const ThreadSnapshot& waiter) {
      const bool lock_wait = waiter.blocked() == BlockingKind::lock || waiter.blocked() == BlockingKind::timed_lock;
      return !waiter.exited && lock_wait &&
             std::any_of(threads[i].held.begin(), threads[i].held.end(),
                         [&](const HeldLock& held) { return held.address == waiter.object(); });
    });
    if (!awaited) continue;
    finding.threads.push_back({threads[i].number, threads[i].tid});
    finding.dump.push_back(thread_dump(threads, i, now_ms, sampler));
  }
  finding.duration_ms = shortest;
  sink_.report(finding);
}

void Watchdog::report_stalls(const std::vector<ThreadSnapshot>& threads, uint64_t now_ms, ThreadSampler& sampler) {
  for (size_t i = 0; i < threads.size(); ++i) {
    const ThreadSnapshot& thread = threads[i];
    if (thread.blocked() != BlockingKind::lock && thread.blocked() != BlockingKind::timed_lock) continue;
    Episode& episode = episodes_.at(thread.number);
    if (episode.reported || now_ms - episode.since_ms < options_.stall_ms) continue;
    episode.reported = true;
    Finding finding;
    finding.kind = "stall";
    finding.severity = Severity::warning;
    finding.duration_ms = now_ms - episode.since_ms;
    finding.thread = thread.number;
    finding.stack = thread.request.acquired_at;
    finding.threads.push_back({thread.number, thread.tid});
    finding.locks.push_back(lock_evidence(thread.object(), thread.request.kind));
    finding.dump.push_back(thread_dump(threads, i, now_ms, sampler));
    for (size_t owner : conflicting_holders(threads, thread.object(), thread.request.mode, i)) {
      const ThreadSnapshot& holder = threads[owner];
      finding.threads.push_back({holder.number, holder.tid});
      for (const HeldLock& held : holder.held) {
        if (held.address == thread.object()) finding.related.push_back({"acquired", holder.number, held.acquired_at});
      }
      finding.dump.push_back(thread_dump(threads, owner, now_ms, sampler));
    }
    sink_.report(finding);
  }
}

void Watchdog::follow_holds(const std::vector<ThreadSnapshot>& threads, uint64_t now_ms, ThreadSampler& sampler) {
  std::map<HoldKey, Hold> now;
  for (size_t i = 0; i < threads.size(); ++i) {
    const ThreadSnapshot& thread = threads[i];
    for (const HeldLock& held : thread.held) {
      const HoldKey key{thread.number, held.serial};
      auto known = holds_.find(key);
      if (known != holds_.end() && known->second.address == held.address) {
        Hold& hold = now.emplace(key, std::move(known->second)).first->second;
        hold.last_seen_ms = now_ms;
      } else {
        now.emplace(key, Hold{now_ms, now_ms, held.address, held.acquired_at, false, {}});
      }
    }
  }
  // Holds gone since the last look: a reported one ended, somewhere after it was last seen.
  for (auto& [key, hold] : holds_) {
    if (hold.reported && now.count(key) == 0) sink_.report_long_hold_end(hold.finding, hold.last_seen_ms - hold.since_ms);
  }
  holds_ = std::move(now);
  for (size_t i = 0; i < threads.size(); ++i) {
    const ThreadSnapshot& thread = threads[i];
    for (const HeldLock& held : thread.held) {
      Hold& hold = holds_.at({thread.number, held.serial});
      if (hold.reported || now_ms - hold.since_ms < options_.long_hold_ms) continue;
      if (thread.exited || long_hold_sites_.count(held.acquired_at) != 0) continue;
      long_hold_sites_.insert(held.acquired_at);
      hold.reported = true;
      Finding& finding = hold.finding;
      finding.kind = "long_hold";
      finding.severity = Severity::warning;
      finding.duration_ms = now_ms - hold.since_ms;
      finding.thread = thread.number;
      finding.stack = held.acquired_at;
      finding.threads.push_back({thread.number, thread.tid});
      finding.locks.push_back(lock_evidence(held.address, held.kind));
      finding.dump.push_back(thread_dump(threads, i, now_ms, sampler));
      sink_.report(finding);
    }
  }
}

size_t Watchdog::open_long_holds() const {
  return static_cast<size_t>(std::count_if(holds_.begin(), holds_.end(), [](const auto& hold) { return hold.second.reported; }));
}

void Watchdog::dump(uint64_t now_ms, ThreadSampler& sampler) {
  const std::vector<ThreadSnapshot> threads = snapshot_threads(detector_.threads());
  follow_episodes(threads, now_ms);
  std::vector<FindingThreadDump> dumps;
  for (size_t i = 0; i < threads.size(); ++i) dumps.push_back(thread_dump(threads, i, now_ms, sampler));
  sink_.report_dump(dumps);
}

}  // namespace lockwatch

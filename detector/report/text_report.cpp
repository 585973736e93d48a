// Text report formatting; see text_report.h.
#include "report/text_report.h"

#include <algorithm>

#include <fmt/format.h>

namespace lockwatch {
namespace {

std::string lock_name(size_t index) {
  return fmt::format("M{}", index + 1);
}

void append_stack(std::string& out, const std::vector<SymbolizedFrame>& frames) {
  if (frames.empty()) {
    out += "      (no stack recorded)\n";
    return;
  }
  for (size_t i = 0; i < frames.size(); ++i) {
    const SymbolizedFrame& frame = frames[i];
    const size_t slash = frame.module.rfind('/');
    const std::string module = slash == std::string::npos ? frame.module : frame.module.substr(slash + 1);
    // Calls inlined at this pc first, innermost first, under the same frame number.
    for (const InlinedFrame& call : frame.inlined) {
      out += fmt::format("      #{:<2} {}", i, call.function);
      if (!call.file.empty()) out += fmt::format(" ({}:{})", call.file, call.line);
      out += " [inlined]\n";
    }
    out += fmt::format("      #{:<2} {}", i, frame.function.empty() ? "??" : frame.function);
    if (!frame.file.empty()) out += fmt::format(" ({}:{})", frame.file, frame.line);
    out += fmt::format(" [{}+0x{:x}]\n", module, frame.offset);
  }
}

// How the report names the lock at `address`: M<n> when it is one of the finding's locks.
std::string lock_label(const Finding& finding, uintptr_t address) {
  for (size_t i = 0; i < finding.locks.size(); ++i) {
    if (finding.locks[i].address == address) return lock_name(i);
  }
  return fmt::format("0x{:x}", address);
}

std::string thread_state_text(const Finding& finding, const FindingThreadDump& thread) {
  if (thread.object == 0) {
    if (thread.state.rfind("syscall:", 0) == 0) return "in the system call " + thread.state.substr(8);
    return thread.state;  // running, exited, unknown
  }
  std::string text = thread.state == "lock"             ? fmt::format("waits for lock {}", lock_label(finding, thread.object))
                     : thread.state == "join"           ? (thread.joins != 0 ? fmt::format("joins T{}", thread.joins)
                                                                             : std::string("joins a thread"))
                     : thread.state == "condition_wait" ? fmt::format("waits on condvar 0x{:x}", thread.object)
                                                        : fmt::format("waits in {} 0x{:x}", thread.state, thread.object);
  if (thread.timed) text += " (with a timeout)";
  return text + fmt::format(" for {} ms", thread.blocked_ms);
}

void append_thread_dump(std::string& out, const Finding& finding, const std::vector<FindingThreadDump>& threads,
                        const ResolvedStacks& stacks) {
  for (const FindingThreadDump& thread : threads) {
    if (thread.state == "exited") {
      out += fmt::format("    T{} (tid {}) has ended, and holds for good:\n", thread.number, thread.tid);
    } else {
      out += fmt::format("    T{} (tid {}) {}; now at ({}):\n", thread.number, thread.tid,
                         thread_state_text(finding, thread), thread.stack_source);
      append_stack(out, stacks.frames(thread.stack));
    }
    for (const FindingHeldLock& held : thread.held) {
      out += fmt::format("      holds {} {} ({}) for {} ms, acquired at:\n", lock_kind_name(held.kind),
                         lock_label(finding, held.address), held.mode == LockMode::read ? "read" : "exclusive",
                         held.held_ms);
      append_stack(out, stacks.frames(held.acquired_at));
    }
  }
}

void append_scenario(std::string& out, const Finding& finding) {
  const size_t columns = finding.cycle.size();
  constexpr size_t kWidth = 24;
  auto row = [&](size_t column, const std::string& text) {
    std::string line = "    ";
    for (size_t c = 0; c < columns; ++c) line += fmt::format("{:<{}}", c == column ? text : "", kWidth);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  out += "  Possible deadlock scenario:\n";
  std::string header = "    ";
  std::string rule = "    ";
  for (const FindingEdge& edge : finding.cycle) {
    header += fmt::format("{:<{}}", fmt::format("T{}", edge.thread), kWidth);
    rule += fmt::format("{:<{}}", "----", kWidth);
  }
  auto trimmed = [](std::string line) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line;
  };
  out += trimmed(header) + "\n" + trimmed(rule) + "\n";
  for (size_t c = 0; c < columns; ++c) row(c, fmt::format("lock({})", lock_name(finding.cycle[c].from)));
  for (size_t c = 0; c < columns; ++c) {
    const FindingEdge& edge = finding.cycle[c];
    const FindingEdge& holder = finding.cycle[(c + 1) % columns];
    row(c, fmt::format("lock({}) <- waits for T{}", lock_name(edge.to), holder.thread));
  }
  out += "    *** every thread waits for the next: DEADLOCK ***\n";
}

}  // namespace

// What each misuse means, in one line, and how to fix it.
struct MisuseText {
  const char* subkind;
  const char* what;
  const char* fix;
};
constexpr MisuseText kMisuseTexts[] = {
    {"unlock_unlocked", "unlock of a lock that is not locked", "unlock only what this thread locked, once"},
    {"unlock_not_owner", "unlock of a lock held by another thread",
     "let the thread that locked it unlock it (use a semaphore to hand off between threads)"},
    {"relock", "a thread locks a non-recursive lock it already holds (self-deadlock)",
     "do not re-lock; use a recursive mutex only if re-entry is intended"},
    {"destroy_locked", "destroy of a locked mutex", "unlock it (and make sure no thread uses it) before destroying"},
    {"use_destroyed", "use of a destroyed lock", "do not use a lock after destroying it, or initialise it again"},
    {"cond_wait_unheld", "condition wait with a mutex the caller does not hold",
     "lock the mutex before waiting on the condition variable"},
    {"cond_multiple_mutexes", "one condition variable waited on with two different mutexes",
     "use one mutex with each condition variable"},
    {"cond_signal_unheld", "signal or broadcast while the waiters' mutex is not held",
     "signal while holding the mutex to avoid lost or spurious wake-ups"},
    {"exit_holding", "a thread ended while holding locks: their waiters wait forever",
     "release every lock before the thread returns, exits or is cancelled (cleanup handlers)"},
    {"rwlock_upgrade", "a thread holding a read lock requests the write lock (self-deadlock)",
     "release the read lock first, then take the write lock and re-check"},
    {"rwlock_unlock_unheld", "unlock of an rwlock the thread does not hold", "unlock only what this thread locked"},
    {"reinit_live", "initialisation of a lock or condition variable that is in use",
     "initialise once, before any thread uses it"},
    {"destroy_busy", "destroy of an object that threads hold or wait on",
     "wake and join every user before destroying it"},
    {"self_join", "a thread joins itself (deadlock)", "join a thread from another thread"},
    {"invalid_object", "a call on memory that is not that kind of object", "pass the right object to each call"},
};

const MisuseText* misuse_text(const std::string& subkind) {
  for (const MisuseText& text : kMisuseTexts) {
    if (subkind == text.subkind) return &text;
  }
  return nullptr;
}

std::string finding_message(const Finding& finding) {
  if (finding.kind == "lock_order_inversion") {
    std::string chain;
    for (const FindingEdge& edge : finding.cycle) chain += lock_name(edge.from) + " -> ";
    if (!finding.cycle.empty()) chain += lock_name(finding.cycle.front().from);
    return fmt::format("lock-order inversion (potential deadlock) between {} locks: {}", finding.locks.size(), chain);
  }
  if (finding.kind == "deadlock" && finding.cycle.empty()) {
    std::string chain;
    for (size_t k = 0; k < finding.dump.size(); ++k) {
      const FindingThreadDump& thread = finding.dump[k];
      const FindingThreadDump& next = finding.dump[(k + 1) % finding.dump.size()];
      if (thread.state == "lock") {
        chain += fmt::format("T{} waits for {} held by T{}; ", thread.number, lock_label(finding, thread.object), next.number);
      } else if (thread.state == "join") {
        chain += fmt::format("T{} joins T{}; ", thread.number, next.number);
      } else {
        chain += fmt::format("T{} waits on condvar 0x{:x} that only T{} signalled; ", thread.number, thread.object,
                             next.number);
      }
    }
    if (chain.size() >= 2) chain.resize(chain.size() - 2);
    return fmt::format("deadlock: {} threads are blocked for good, each waiting for the next: {}", finding.dump.size(),
                       chain);
  }
  if (finding.kind == "stall" && !finding.dump.empty() && !finding.locks.empty()) {
    std::string owners;
    for (size_t i = 1; i < finding.dump.size(); ++i) owners += fmt::format("{}T{}", i > 1 ? ", " : "", finding.dump[i].number);
    return fmt::format("stall: T{} has waited {} ms for the {} M1 held by {} (no deadlock cycle)", finding.thread,
                       finding.duration_ms, lock_kind_name(finding.locks[0].kind),
                       owners.empty() ? std::string("a thread lockwatch does not know") : owners);
  }
  if (finding.kind == "hang") {
    // The dump also shows threads that ended holding a lock a blocked one waits for.
    const auto live = std::count_if(finding.dump.begin(), finding.dump.end(),
                                    [](const FindingThreadDump& thread) { return thread.state != "exited"; });
    return fmt::format("hang: all {} threads have been blocked in synchronization calls for {} ms or more; nothing "
                       "can progress",
                       live, finding.duration_ms);
  }
  if (finding.kind == "long_hold" && !finding.locks.empty()) {
    return fmt::format("long hold: T{} has held the {} M1 for {} ms and still holds it", finding.thread,
                       lock_kind_name(finding.locks[0].kind), finding.duration_ms);
  }
  if (finding.kind == "deadlock") {
    std::string chain;
    for (const FindingEdge& edge : finding.cycle) {
      chain += fmt::format("T{} holds {} and waits for {}; ", edge.thread, lock_name(edge.from), lock_name(edge.to));
    }
    if (chain.size() >= 2) chain.resize(chain.size() - 2);
    return fmt::format("deadlock: {} threads are blocked for good, each waiting for a lock the next holds: {}",
                       finding.cycle.size(), chain);
  }
  if (finding.kind == "misuse") {
    const MisuseText* text = misuse_text(finding.subkind);
    std::string message = fmt::format("misuse ({}): {}", finding.subkind, text != nullptr ? text->what : "");
    if (!finding.locks.empty()) {
      message += fmt::format(" ({} at 0x{:x})", lock_kind_name(finding.locks[0].kind), finding.locks[0].address);
    }
    return message;
  }
  return finding.kind;
}

std::string dump_text(const std::vector<FindingThreadDump>& threads, const ResolvedStacks& stacks, pid_t pid) {
  std::string out = fmt::format("==lockwatch== thread dump (pid {}, {} threads known to lockwatch)\n", pid, threads.size());
  append_thread_dump(out, Finding{}, threads, stacks);
  return out;
}

std::string long_hold_end_text(const Finding& finding, uint64_t held_ms, const std::string& fingerprint, pid_t pid) {
  return fmt::format("==lockwatch== long hold ended: T{} released M1 after {} ms or more (pid {}, fingerprint {})\n",
                     finding.thread, held_ms, pid, fingerprint);
}

std::string text_report(const Finding& finding, const ResolvedStacks& stacks, const std::string& message,
                        const std::string& fingerprint, pid_t pid) {
  std::string out = fmt::format("==lockwatch== {}: {} (pid {})\n",
                                finding.severity == Severity::error ? "ERROR" : "WARNING", message, pid);
  if (finding.stack != kNoStack) {
    const char* call = finding.kind == "stall"       ? "requested M1"
                       : finding.kind == "long_hold" ? "acquired M1"
                                                     : "made the call";
    out += fmt::format("  Thread T{} {} at:\n", finding.thread, call);
    append_stack(out, stacks.frames(finding.stack));
  }
  for (const FindingRelated& related : finding.related) {
    out += fmt::format("  {} by thread T{} at:\n", related.what, related.thread);
    append_stack(out, stacks.frames(related.stack));
  }
  // A watchdog finding's dump shows where each lock was acquired: the locks need no stacks.
  const bool dumped = !finding.dump.empty();
  for (size_t i = 0; i < finding.locks.size(); ++i) {
    const FindingLock& lock = finding.locks[i];
    if (lock.first_use == kNoStack || dumped) {
      out += fmt::format("  {} is the {} at 0x{:x}\n", lock_name(i), lock_kind_name(lock.kind), lock.address);
      continue;
    }
    out += fmt::format("  {} is the {} at 0x{:x}, first used at:\n", lock_name(i), lock_kind_name(lock.kind),
                       lock.address);
    append_stack(out, stacks.frames(lock.first_use));
  }
  for (size_t e = 0; e < finding.cycle.size() && !dumped; ++e) {
    const FindingEdge& edge = finding.cycle[e];
    out += fmt::format("  Edge {}: {} -> {}. Thread T{} acquired {} at:\n", e + 1, lock_name(edge.from),
                       lock_name(edge.to), edge.thread, lock_name(edge.from));
    append_stack(out, stacks.frames(edge.held_stack));
    out += fmt::format("    and then, still holding {}, requested {} at:\n", lock_name(edge.from), lock_name(edge.to));
    append_stack(out, stacks.frames(edge.requested_stack));
  }
  if (finding.kind == "lock_order_inversion") append_scenario(out, finding);
  if (!finding.dump.empty()) {
    out += "  Threads now:\n";
    append_thread_dump(out, finding, finding.dump, stacks);
  } else {
    for (const FindingThread& thread : finding.threads) {
      out += fmt::format("  T{} is thread {}\n", thread.number, thread.tid);
    }
  }
  if (finding.kind == "misuse") {
    const MisuseText* text = misuse_text(finding.subkind);
    out += fmt::format("  Fix: {}.\n", text != nullptr ? text->fix : "see the README's table of checks");
  } else if (finding.kind == "deadlock") {
    out += finding.cycle.empty()
               ? "  The threads above are stuck now. Fix: never wait (join, condition wait) while holding a lock the "
                 "thread you wait for needs.\n"
               : "  The threads above are stuck now. Fix: make every thread take these locks in one global order.\n";
  } else if (finding.kind == "hang") {
    out += "  Every thread is blocked and none can wake another. Fix: find the wake-up (signal, post, unlock) that "
           "never came.\n";
  } else if (finding.kind == "stall") {
    out += "  Not a deadlock (yet): the owner is shown where it is now. Fix: keep critical sections short; do not "
           "sleep or do I/O while holding a lock.\n";
  } else if (finding.kind == "long_hold") {
    out += "  Every other thread that needs this lock waits meanwhile. Fix: move slow work out of the critical "
           "section.\n";
  } else {
    out += "  Fix: make every thread take these locks in one global order.\n";
  }
  out += fmt::format("  fingerprint: {}\n", fingerprint);
  return out;
}

}  // namespace lockwatch

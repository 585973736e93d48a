// Snapshot and cycle search of the wait-for graph; see wait_for_graph.h.
#include "wait_for_graph.h"

#include <algorithm>

namespace lockwatch {

bool WaitForGraph::find_stable_cycle(ThreadDirectory& threads, std::vector<DeadlockLink>& cycle) {
  std::vector<Blocked> blocked;
  threads.for_each([&](const ThreadState& thread) {
    const uint64_t word = thread.blocked.word.load(std::memory_order_acquire);
    if (static_cast<BlockingKind>(word >> 56) != BlockingKind::lock) return;
    Blocked entry{thread.number, thread.tid, static_cast<uintptr_t>(word & BlockingOperation::kObjectMask),
                  LockMode::exclusive, LockKind::mutex, kNoStack, {}};
    // The request being waited for is staged right after the held locks. The thread runs on
    // while this copies: the copy counts only if the thread still waits, on the same request,
    // afterwards (a thread that moved on is not blocked).
    const uint32_t count = std::min<uint32_t>(thread.held_count, ThreadState::kMaxHeld);
    const HeldLock request = thread.held[count];
    entry.held.assign(thread.held, thread.held + count);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (request.address != entry.waits_for || thread.held_count != count ||
        thread.blocked.word.load(std::memory_order_relaxed) != word) {
      return;
    }
    entry.mode = request.mode;
    entry.kind = request.kind;
    entry.waiting_at = request.acquired_at;
    blocked.push_back(std::move(entry));
  });
  // Threads that hold locks but are not blocked cannot be in a cycle; those blocked are all
  // the graph needs (an owner that is not blocked breaks the chain).
  cycle.clear();
  if (!find_cycle(blocked, cycle)) {
    previous_signature_ = 0;
    return false;
  }
  uint64_t signature = 0xcbf29ce484222325ull;
  for (const DeadlockLink& link : cycle) signature = (signature ^ (link.waits_for * 31 + link.thread)) * 0x100000001b3ull;
  const bool stable = signature == previous_signature_;
  previous_signature_ = signature;
  return stable;
}

bool WaitForGraph::find_cycle(const std::vector<Blocked>& blocked, std::vector<DeadlockLink>& cycle) {
  // The blocked thread that holds `lock` in a mode `mode` waits for, if any.
  auto holder_of = [&](uintptr_t lock, LockMode mode, size_t waiter) -> long {
    for (size_t i = 0; i < blocked.size(); ++i) {
      if (i == waiter) continue;
      for (const HeldLock& held : blocked[i].held) {
        if (held.address == lock && modes_conflict(mode, held.mode)) return static_cast<long>(i);
      }
    }
    return -1;
  };
  std::vector<long> next(blocked.size(), -1);
  for (size_t i = 0; i < blocked.size(); ++i) next[i] = holder_of(blocked[i].waits_for, blocked[i].mode, i);
  // Each blocked thread waits for at most one holder that is also blocked: follow the chain.
  for (size_t start = 0; start < blocked.size(); ++start) {
    std::vector<size_t> path;
    std::vector<bool> on_path(blocked.size(), false);
    long at = static_cast<long>(start);
    while (at >= 0 && !on_path[at]) {
      on_path[at] = true;
      path.push_back(static_cast<size_t>(at));
      at = next[at];
    }
    if (at < 0) continue;
    // A cycle from `at` back to itself.
    auto begin = std::find(path.begin(), path.end(), static_cast<size_t>(at));
    std::vector<size_t> members(begin, path.end());
    auto lowest = std::min_element(members.begin(), members.end(),
                                   [&](size_t a, size_t b) { return blocked[a].thread < blocked[b].thread; });
    std::rotate(members.begin(), lowest, members.end());
    for (size_t k = 0; k < members.size(); ++k) {
      const Blocked& thread = blocked[members[k]];
      const Blocked& previous = blocked[members[(k + members.size() - 1) % members.size()]];
      // What this thread holds that the previous one waits for.
      DeadlockLink link{thread.thread, thread.tid, previous.waits_for, previous.kind, kNoStack,
                        thread.waits_for, thread.kind, thread.waiting_at};
      for (const HeldLock& held : thread.held) {
        if (held.address == previous.waits_for) {
          link.held_kind = held.kind;
          link.held_stack = held.acquired_at;
        }
      }
      cycle.push_back(link);
    }
    return true;
  }
  return false;
}

}  // namespace lockwatch

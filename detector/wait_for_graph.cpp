// Snapshot, stuck set and cycle search of the wait-for graph; see wait_for_graph.h.
#include "wait_for_graph.h"

#include <algorithm>
#include <iterator>

namespace lockwatch {

std::vector<ThreadSnapshot> snapshot_threads(ThreadDirectory& threads) {
  std::vector<ThreadSnapshot> snapshot;
  threads.for_each([&](const ThreadRecord& thread) {
    ThreadSnapshot entry{thread.number, thread.tid, thread.self, thread.exited.load(std::memory_order_acquire),
                         0, 0, {}, {}, {}};
    const uint64_t word = thread.blocked.word.load(std::memory_order_acquire);
    const uint32_t episode = thread.blocked.episodes.load(std::memory_order_acquire);
    const uint32_t count = std::min<uint32_t>(thread.held_count, ThreadRecord::kMaxHeld);
    // Not the holds other threads ended (the owner has yet to drop them).
    std::copy_if(thread.held, thread.held + count, std::back_inserter(entry.held),
                 [&](const HeldLock& held) { return !thread.ended_by_others.contains(held.address, held.serial); });
    // A lock request being waited for is staged right after the held locks.
    entry.request = thread.held[count];
    for (const auto& condvar : thread.signals.condvars) {
      if (const uintptr_t known = condvar.load(std::memory_order_relaxed)) entry.signalled.push_back(known);
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    const bool same_call = thread.blocked.word.load(std::memory_order_relaxed) == word &&
                           thread.blocked.episodes.load(std::memory_order_relaxed) == episode &&
                           thread.held_count == count;
    const BlockingKind kind = BlockingOperation::kind(word);
    const bool lock_wait = kind == BlockingKind::lock || kind == BlockingKind::timed_lock;
    if (same_call && (!lock_wait || entry.request.address == BlockingOperation::object(word))) {
      entry.word = word;
      entry.episode = episode;
    }
    snapshot.push_back(std::move(entry));
  });
  std::sort(snapshot.begin(), snapshot.end(),
            [](const ThreadSnapshot& a, const ThreadSnapshot& b) { return a.number < b.number; });
  return snapshot;
}

std::vector<size_t> conflicting_holders(const std::vector<ThreadSnapshot>& threads, uintptr_t lock, LockMode mode,
                                        size_t except) {
  std::vector<size_t> holders;
  for (size_t i = 0; i < threads.size(); ++i) {
    if (i == except) continue;
    for (const HeldLock& held : threads[i].held) {
      if (held.address == lock && modes_conflict(mode, held.mode)) {
        holders.push_back(i);
        break;
      }
    }
  }
  return holders;
}

namespace {

// The threads whose action would end thread `t`'s wait, and whether that list is exact
// (false: unknown, or any thread could).
struct Unblockers {
  std::vector<size_t> threads;
  bool exact = false;
};

Unblockers unblockers_of(const std::vector<ThreadSnapshot>& threads, size_t t) {
  const ThreadSnapshot& thread = threads[t];
  Unblockers out;
  switch (thread.blocked()) {
    case BlockingKind::lock:
      out.threads = conflicting_holders(threads, thread.object(), thread.request.mode, t);
      out.exact = !out.threads.empty();  // no known holder: not provably stuck
      break;
    case BlockingKind::join:
      for (size_t i = 0; i < threads.size(); ++i) {
        if (i != t && threads[i].self == thread.object() && !threads[i].exited) out.threads.push_back(i);
      }
      out.exact = !out.threads.empty();
      break;
    case BlockingKind::condition_wait:
      for (size_t i = 0; i < threads.size(); ++i) {
        if (i == t) continue;
        const auto& signalled = threads[i].signalled;
        if (std::find(signalled.begin(), signalled.end(), thread.object()) != signalled.end()) out.threads.push_back(i);
      }
      break;
    default:
      break;
  }
  return out;
}

}  // namespace

std::vector<WaitLink> find_deadlock(const std::vector<ThreadSnapshot>& threads, bool everyone_blocked) {
  const size_t n = threads.size();
  std::vector<Unblockers> unblockers(n);
  std::vector<bool> stuck(n, false);
  for (size_t t = 0; t < n; ++t) {
    if (threads[t].exited) {
      stuck[t] = true;  // never releases what it holds
      continue;
    }
    if (!threads[t].waits_forever()) continue;
    unblockers[t] = unblockers_of(threads, t);
    stuck[t] = unblockers[t].exact || everyone_blocked;
  }
  // Greatest fixpoint: a thread with an exact unblocker list stays stuck while all of them do.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t t = 0; t < n; ++t) {
      if (!stuck[t] || threads[t].exited || !unblockers[t].exact) continue;
      for (size_t u : unblockers[t].threads) {
        if (!stuck[u]) {
          stuck[t] = false;
          changed = true;
          break;
        }
      }
    }
  }
  // A cycle among stuck, live threads, following each one's unblockers (exact ones, or the
  // condvar signallers when everyone is blocked). Depth-first, iterative.
  std::vector<int> color(n, 0);  // 0 new, 1 on the path, 2 done
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return threads[a].number < threads[b].number; });
  auto follows = [&](size_t t) -> const std::vector<size_t>& { return unblockers[t].threads; };
  for (size_t start : order) {
    if (!stuck[start] || threads[start].exited || color[start] != 0) continue;
    std::vector<std::pair<size_t, size_t>> path{{start, 0}};  // thread, next unblocker to try
    color[start] = 1;
    while (!path.empty()) {
      auto& [t, next] = path.back();
      const std::vector<size_t>& candidates = follows(t);
      if (next == candidates.size()) {
        color[t] = 2;
        path.pop_back();
        continue;
      }
      const size_t u = candidates[next++];
      if (!stuck[u] || threads[u].exited) continue;
      if (color[u] == 1) {
        auto begin = std::find_if(path.begin(), path.end(), [&](const auto& step) { return step.first == u; });
        std::vector<size_t> members;
        for (auto it = begin; it != path.end(); ++it) members.push_back(it->first);
        auto lowest = std::min_element(members.begin(), members.end(),
                                       [&](size_t a, size_t b) { return threads[a].number < threads[b].number; });
        std::rotate(members.begin(), lowest, members.end());
        std::vector<WaitLink> cycle;
        for (size_t k = 0; k < members.size(); ++k) cycle.push_back({members[k], members[(k + 1) % members.size()]});
        return cycle;
      }
      if (color[u] == 0) {
        color[u] = 1;
        path.push_back({u, 0});
      }
    }
  }
  return {};
}

}  // namespace lockwatch

// Event handling and cycle reporting; see detector.h for the fast/slow path split.
#include "detector.h"

#include <algorithm>
#include <map>
#include <set>

#include "internal_allocator.h"
#include "reentrancy.h"
#include "report/diagnostics.h"

#include <fmt/format.h>

namespace lockwatch {

Detector::Detector(const Options& options, FindingSink& sink)
    : stack_depth_(options.stack_depth),
      sink_(sink),
      report_signal_unheld_(options.signal_unheld),
      profiling_(options.profile != ProfileMode::off),
      profile_sample_(options.profile_sample == 0 ? UINT32_MAX : options.profile_sample) {}

LockRecord* Detector::cache_profile_record(ThreadState& thread, const HeldLock& held) {
  InsideLockwatch inside;
  bool created = false;
  LockRecord* record = profile_.find(held.address);
  if (record == nullptr) {
    // Named by its initialisation when lockwatch saw one, else by this first use.
    StackId created_at = held.acquired_at;
    LockInfo info{};
    const LockId lock = locks_.find(held.address);
    if (lock.valid() && locks_.info(lock, info) && info.first_use != kNoStack) created_at = info.first_use;
    record = profile_.record(held.address, held.kind, created_at, &created);
  }
  if (record != nullptr) {
    const size_t slot = ThreadProfile::slot_of(held.address);
    add_pending_reads(thread, slot, nullptr);  // of the lock it held before
    thread.profile.records[slot] = {held.address, record};
  }
  // A lock's first hold is timed: a lock taken rarely, and held long, is seen.
  if (created) start_hold_sample(thread, held, 0);
  return record;
}

void Detector::add_pending_reads(ThreadState& thread, size_t slot, ThreadProfile::SiteCount* site) {
  if (thread.profile.pending_reads[slot].load(std::memory_order_relaxed) == 0) return;
  const uint32_t reads = thread.profile.pending_reads[slot].exchange(0, std::memory_order_relaxed);
  if (reads == 0 || thread.profile.records[slot].record == nullptr) return;
  LockRecord& record = *thread.profile.records[slot].record;
  // Only `reads`: `acquisitions` (the exclusive ones) takes plain stores under the lock, and
  // this runs outside it too (a cache entry reused for another lock, the thread's end).
  record.reads.fetch_add(reads, std::memory_order_relaxed);
  if (record.owner.load(std::memory_order_relaxed) != thread.number) {
    record.owner.store(thread.number, std::memory_order_relaxed);
    record.owner_changes.fetch_add(1, std::memory_order_relaxed);
    if (site != nullptr) site->owner_changes.fetch_add(1, std::memory_order_relaxed);
  }
}

void Detector::reuse_site_count(ThreadProfile::SiteCount& entry, StackId site) {
  InsideLockwatch inside;
  profile_.merge_site(entry);
  entry.site = site;
}

void Detector::start_hold_sample(ThreadState& thread, const HeldLock& held, uint64_t now_ns) {
  thread.profile.since_sample = 0;
  if (thread.profile.sampled_lock != 0) return;  // one at a time
  thread.profile.sampled_lock = held.address;
  thread.profile.sampled_serial = held.serial;
  thread.profile.sampled_site = held.acquired_at;
  thread.profile.sampled_since_ns = now_ns != 0 ? now_ns : monotonic_ns();
}

void Detector::end_hold_sample(ThreadState& thread, uintptr_t address) {
  const uint64_t held_ns = monotonic_ns() - thread.profile.sampled_since_ns;
  thread.profile.sampled_lock = 0;
  const HeldLock* held = held_entry(thread, address);
  // A recursive lock released at an inner level still times the hold that was sampled.
  if (held == nullptr || held->serial != thread.profile.sampled_serial) return;
  InsideLockwatch inside;
  LockRecord* record = thread.profile.cached(address);
  if (record == nullptr) record = profile_.record(address, held->kind, held->acquired_at);
  if (record != nullptr) profile_.add_hold(*record, thread.profile.sampled_site, held_ns);
}

void Detector::on_cond_waited(ThreadState& thread, uintptr_t mutex, uint64_t wait_ns) noexcept {
  InsideLockwatch inside;
  LockRecord* record = thread.profile.cached(mutex);
  if (record == nullptr) record = profile_.record(mutex, LockKind::mutex, kNoStack);
  if (record != nullptr) profile_.add_cond_wait(*record, wait_ns);
}

void Detector::on_contended_acquisition(ThreadState& thread, uintptr_t address, uint64_t since_ns, uint64_t now_ns) {
  if (!profiling_) return;
  const HeldLock* held = held_entry(thread, address);
  if (held == nullptr) return;
  InsideLockwatch inside;
  LockRecord* record = thread.profile.cached(address);
  if (record == nullptr) record = profile_.record(address, held->kind, held->acquired_at);
  if (record != nullptr) profile_.add_wait(*record, held->acquired_at, now_ns - since_ns);
  // A contended lock is the one whose holds matter: time this one (the clock is read already).
  start_hold_sample(thread, *held, now_ns);
}

ProfileSnapshot Detector::profile_snapshot(uint32_t min_contended) {
  InsideLockwatch inside;
  ProfileSnapshot snapshot;
  snapshot.locks = profile_.lock_rows(min_contended);
  snapshot.dropped_locks = profile_.dropped_locks();
  if (snapshot.locks.empty()) return snapshot;
  std::vector<ThreadProfile::SiteCount*> live;
  std::map<uintptr_t, uint64_t> pending_reads;  // by lock address
  threads_.for_each([&](ThreadRecord& record) {
    // A record kept of a thread that ended holding locks has no caches: its counts were merged.
    if (record.exited.load(std::memory_order_acquire)) return;
    ThreadProfile& profile = static_cast<ThreadState&>(record).profile;
    for (ThreadProfile::SiteCount& entry : profile.sites) {
      if (entry.site != kNoStack) live.push_back(&entry);
    }
    for (size_t slot = 0; slot < ThreadProfile::kRecordCacheEntries; ++slot) {
      const uint32_t reads = profile.pending_reads[slot].load(std::memory_order_relaxed);
      if (reads != 0) pending_reads[profile.records[slot].address] += reads;
    }
  });
  for (LockProfileRow& row : snapshot.locks) {
    const auto pending = pending_reads.find(row.address);
    if (pending == pending_reads.end()) continue;
    row.reads += pending->second;
    row.acquisitions += pending->second;
  }
  // Sites are kept per stack; a report shows call sites: the rows of one call site (first
  // frame) are summed, under the stack that took locks there most. Shown: the sites with
  // min_contended contended acquisitions, and those where a shown lock was taken most.
  auto call_site = [&](StackId stack) -> uintptr_t {
    const auto frames = stacks_.get(stack);
    return frames.empty() ? 0 : frames[0];
  };
  std::map<uintptr_t, SiteProfileRow> sites;
  std::map<uintptr_t, uint64_t> most;
  for (const SiteProfileRow& row : profile_.site_rows(live)) {
    const uintptr_t pc = call_site(row.site);
    auto [entry, fresh] = sites.emplace(pc, row);
    if (fresh) {
      most[pc] = row.acquisitions;
      continue;
    }
    SiteProfileRow& sum = entry->second;
    if (row.acquisitions > most[pc]) {
      most[pc] = row.acquisitions;
      sum.site = row.site;
    }
    sum.acquisitions += row.acquisitions;
    sum.owner_changes += row.owner_changes;
    sum.contended += row.contended;
    sum.wait_total_ns += row.wait_total_ns;
    sum.wait_max_ns = std::max(sum.wait_max_ns, row.wait_max_ns);
    sum.hold_samples += row.hold_samples;
    sum.hold_total_ns += row.hold_total_ns;
    sum.hold_max_ns = std::max(sum.hold_max_ns, row.hold_max_ns);
  }
  std::set<uintptr_t> hot;
  for (const LockProfileRow& lock : snapshot.locks) {
    for (StackId site : lock.hot_sites) hot.insert(call_site(site));
  }
  for (const auto& [pc, row] : sites) {
    if (row.contended >= min_contended || hot.count(pc) != 0) snapshot.sites.push_back(row);
  }
  return snapshot;
}

void Detector::attach_thread(ThreadState& thread, pid_t tid, uintptr_t self) {
  thread.number = next_thread_number_.fetch_add(1, std::memory_order_relaxed);
  thread.tid = tid;
  thread.self = self;
  threads_.add(thread);
}

bool Detector::detach_thread(ThreadState& thread, bool (*outlives_owner)(const HeldLock& held)) {
  InsideLockwatch inside;
  thread.blocked.end();
  drop_holds_ended_by_others(thread);
  add_own_pending_edges(thread);
  for (size_t slot = 0; slot < ThreadProfile::kRecordCacheEntries; ++slot) add_pending_reads(thread, slot, nullptr);
  for (ThreadProfile::SiteCount& entry : thread.profile.sites) profile_.merge_site(entry);
  uint32_t kept = 0;
  for (uint32_t i = 0; i < thread.held_count; ++i) {
    if (!outlives_owner(thread.held[i])) thread.held[kept++] = thread.held[i];
  }
  thread.held_count = kept;
  if (thread.held_count == 0) {
    threads_.remove(thread);
    return false;
  }
  // Ending while holding locks: every thread that waits for them now waits forever.
  MisuseReport report;
  report.subkind = "exit_holding";
  for (size_t i = 0; i < thread.held_count; ++i) {
    const HeldLock& held = thread.held[i];
    report.add_object(held.address, held.kind);
    report.add_related({"acquired", thread.number, thread.tid, held.acquired_at});
  }
  // The "bad call" is where the thread acquired the first lock it never released.
  report_misuse_or_throw_guarded(thread, report, thread.held[0].acquired_at);
  // Its locks stay held for good: a record of the thread stays listed in its place (exited,
  // never blocked again), so the wait-for graph still sees who holds them. Only the record:
  // its caches die with it.
  auto* record = static_cast<ThreadRecord*>(internal_allocate(sizeof(ThreadRecord)));
  record->number = thread.number;
  record->tid = thread.tid;
  record->held_count = thread.held_count;
  record->acquisitions = thread.acquisitions;
  record->untracked_held = thread.untracked_held;
  std::copy(thread.held, thread.held + thread.held_count, record->held);
  record->self = thread.self;
  for (size_t i = 0; i < RecentSignals::kEntries; ++i) {
    record->signals.condvars[i].store(thread.signals.condvars[i].load(std::memory_order_relaxed),
                                      std::memory_order_relaxed);
  }
  record->signals.next = thread.signals.next;
  record->exited.store(true, std::memory_order_release);
  threads_.replace(thread, *record);
  return true;
}

void Detector::adopt_forked_child(ThreadState* survivor) {
  threads_.keep_only(survivor);
  waits_.forget_all();
  profile_.clear_counts();
  if (survivor == nullptr) return;
  for (ThreadProfile::SiteCount& entry : survivor->profile.sites) {
    entry.acquisitions.store(0, std::memory_order_relaxed);
    entry.owner_changes.store(0, std::memory_order_relaxed);
  }
  for (std::atomic<uint32_t>& reads : survivor->profile.pending_reads) reads.store(0, std::memory_order_relaxed);
  survivor->profile.since_sample = 0;
  survivor->profile.sampled_lock = 0;
}

void Detector::lock_for_fork() {
  pending_look_lock_.lock();
  threads_.lock_for_fork();
  destroyed_.lock_for_fork();
  waits_.lock_for_fork();
  reported_misuse_lock_.lock();
  graph_.lock_for_fork();
  locks_.lock_for_fork();
  stacks_.lock_for_fork();
  profile_.lock_for_fork();
  internal_allocator_lock_for_fork();
}

void Detector::unlock_after_fork() {
  internal_allocator_unlock_after_fork();
  profile_.unlock_after_fork();
  stacks_.unlock_after_fork();
  locks_.unlock_after_fork();
  graph_.unlock_after_fork();
  reported_misuse_lock_.unlock();
  waits_.unlock_after_fork();
  destroyed_.unlock_after_fork();
  threads_.unlock_after_fork();
  pending_look_lock_.unlock();
}

RequestVerdict Detector::request_nested_or_new_site(ThreadState& thread, Acquisition request, CallSite site,
                                                    const StackId* cached_stack) {
  const StackId stack = cached_stack != nullptr ? *cached_stack : thread.sites.stack_for(site, stack_depth_, stacks_);
  // Edges kept while another thread held the graph go in at the next chance that needs no wait.
  if (__builtin_expect(thread.pending_edges.count.load(std::memory_order_relaxed) != 0, 0)) {
    add_pending_edges_of(thread, false);
  }
  if (__builtin_expect(thread.ended_by_others.any(), 0)) drop_holds_ended_by_others(thread);
  LockId lock;
  if (request.blocking && thread.held_count > 0) {
    const uint64_t removals = locks_.removals();  // first: it vouches for the look-ups below
    const uint64_t nesting = KnownNestingCache::nesting(thread.held, thread.held_count, request.address, request.mode);
    if (const HeldLock* held = held_entry(thread, request.address)) {
      const RequestVerdict verdict = check_rerequest(thread, *held, request, stack);
      stage(thread, request.address, held->lock, stack, request.kind, request.mode);
      return verdict;
    }
    lock = registered(request.address, request.kind, stack, thread.number);
    if (lock.valid()) {
      // Not when a lock was left out for want of registry room, nor when a held lock's id went
      // stale while held (re-initialised or destroyed: its edges are dropped), since the
      // nesting taken again later would name a new lock there.
      bool all_checked = true;
      for (size_t i = 0; i < thread.held_count; ++i) {
        HeldLock& held = thread.held[i];
        if (!held.lock.valid()) held.lock = registered(held.address, held.kind, held.acquired_at, thread.number);
        all_checked = all_checked && held.lock.valid() && locks_.is_current(held.lock);
      }
      for (size_t i = 0; i < thread.held_count; ++i) {
        const HeldLock& held = thread.held[i];
        if (!held.lock.valid()) continue;
        const uint8_t modes = KnownEdgeCache::modes(held.mode, request.mode);
        if (thread.known_edges.check(held.lock, lock, modes) == KnownEdgeCache::Check::known) continue;
        check_edge(thread, i, lock, request, stack);
      }
      if (all_checked) thread.known_nestings.remember(nesting, removals);
    }
  }
  stage(thread, request.address, lock, stack, request.kind, request.mode);
  return RequestVerdict::proceed;
}

void Detector::on_lock_released_for(pid_t owner, uintptr_t address) {
  InsideLockwatch inside;
  threads_.with_thread(owner, [&](ThreadRecord& holder) {
    if (const HeldLock* held = held_entry(holder, address)) holder.ended_by_others.post(address, held->serial);
  });
}

void Detector::drop_holds_ended_by_others(ThreadState& thread) {
  thread.ended_by_others.take([&](uintptr_t address, uint32_t serial) {
    for (size_t i = 0; i < thread.held_count; ++i) {
      if (thread.held[i].address != address || thread.held[i].serial != serial) continue;
      if (thread.profile.sampled_lock == address && thread.profile.sampled_serial == serial) {
        thread.profile.sampled_lock = 0;  // its hold time is unknown
      }
      std::copy(thread.held + i + 1, thread.held + thread.held_count, thread.held + i);
      --thread.held_count;
      return;
    }
  });
}

bool Detector::known_nesting(const ThreadState& thread, uintptr_t address, LockMode mode) const {
  if (thread.pending_edges.count.load(std::memory_order_relaxed) != 0) return false;  // they go in first
  const uint64_t removals = locks_.removals();
  return thread.known_nestings.contains(KnownNestingCache::nesting(thread.held, thread.held_count, address, mode),
                                        removals);
}

RequestVerdict Detector::check_rerequest(ThreadState& thread, const HeldLock& held, const Acquisition& request,
                                         StackId requested_at) {
  // Re-locking a held lock cannot wait on another thread, so it adds no edge: a recursive
  // mutex counts up, recursive read locks of a reader-preferring rwlock are allowed, and
  // everything else is a self-deadlock (or, where glibc refuses, an EDEADLK).
  const char* subkind = nullptr;
  bool blocks_forever = false;
  switch (held.kind) {
    case LockKind::recursive_mutex:
      return RequestVerdict::proceed;
    case LockKind::rwlock:
      if (held.mode == LockMode::read && request.mode == LockMode::read) return RequestVerdict::proceed;
      if (held.mode == LockMode::read) {
        subkind = "rwlock_upgrade";  // waits for its own read lock to go
        blocks_forever = request.waits_forever;
      } else {
        subkind = "relock";  // glibc answers EDEADLK to the writer
      }
      break;
    case LockKind::errorcheck_mutex:
      subkind = "relock";  // glibc answers EDEADLK
      break;
    default:
      subkind = "relock";
      blocks_forever = request.waits_forever;
      break;
  }
  MisuseReport report;
  report.subkind = subkind;
  report.add_object(request.address, held.kind);
  report.add_related({"acquired", thread.number, thread.tid, held.acquired_at});
  report_misuse_or_throw_guarded(thread, report, requested_at);
  return blocks_forever ? RequestVerdict::self_deadlock : RequestVerdict::proceed;
}

void Detector::on_lock_initialized(ThreadState& thread, uintptr_t address, LockKind kind, CallSite site) {
  InsideLockwatch inside;
  graph_.remove_lock(locks_.remove(address));
  destroyed_.forget(address);
  const StackId stack = thread.sites.stack_for(site, stack_depth_, stacks_);
  locks_.find_or_insert(address, kind, stack, thread.number);
}

void Detector::on_lock_destroyed(ThreadState& thread, uintptr_t address, CallSite site) {
  InsideLockwatch inside;
  graph_.remove_lock(locks_.remove(address));
  destroyed_.remember({address, thread.number, thread.tid, thread.sites.stack_for(site, stack_depth_, stacks_)});
}

void Detector::on_memory_released(uintptr_t begin, uintptr_t end) {
  InsideLockwatch inside;
  locks_.remove_range(begin, end, [this](LockId id) { graph_.remove_lock(id); });
}

void Detector::on_cond_wait_begin(ThreadState& thread, uintptr_t condvar, uintptr_t mutex, LockKind mutex_kind,
                                  bool holds_mutex, CallSite site) {
  InsideLockwatch inside;
  drop_holds_ended_by_others(thread);
  const HeldLock* held = held_entry(thread, mutex);
  if (held == nullptr && !holds_mutex) {
    MisuseReport report;
    report.subkind = "cond_wait_unheld";
    report.site = site;
    report.add_object(condvar, LockKind::condvar);
    report.add_object(mutex, mutex_kind);
    report_misuse(thread, report);
  }
  const StackId stack = thread.sites.stack_for(site, stack_depth_, stacks_);
  const WaitTable::Binding before = waits_.begin_wait(condvar, mutex, thread.number, thread.tid, stack);
  if (before.waiters > 0 && before.mutex != mutex) {
    MisuseReport report;
    report.subkind = "cond_multiple_mutexes";
    report.site = site;
    report.add_object(condvar, LockKind::condvar);
    report.add_object(mutex, mutex_kind);
    report.add_related({"waited", before.thread, before.tid, before.stack});
    report_misuse(thread, report);
  }
  if (profiling_) {
    if (LockRecord* record = profile_.record(mutex, mutex_kind, stack)) profile_.count_cond_wait(*record);
  }
  if (held != nullptr) on_lock_released(thread, mutex);  // the wait releases it
}

void Detector::on_barrier_wait_begin(ThreadState& thread, uintptr_t barrier, uint32_t count, CallSite site) {
  InsideLockwatch inside;
  const StackId stack = thread.sites.stack_for(site, stack_depth_, stacks_);
  const WaitTable::Binding before = waits_.begin_wait(barrier, 0, thread.number, thread.tid, stack);
  if (before.waiters + 1 >= count) waits_.wake(barrier, true);  // the last arrival releases all
}

void Detector::on_barrier_wait_end(uintptr_t barrier) {
  InsideLockwatch inside;
  waits_.end_wait(barrier);
}

void Detector::on_cond_wait_end(uintptr_t condvar) {
  InsideLockwatch inside;
  waits_.end_wait(condvar);
}

void Detector::on_cond_signal(ThreadState& thread, uintptr_t condvar, bool broadcast, CallSite site) {
  InsideLockwatch inside;
  thread.signals.remember(condvar);
  const uintptr_t mutex = waits_.wake(condvar, broadcast);
  if (profiling_ && mutex != 0) {
    if (LockRecord* record = profile_.record(mutex, LockKind::mutex, kNoStack)) profile_.count_cond_wakeup(*record);
  }
  // Signalled with waiters (mutex bound) while not holding their mutex.
  if (!report_signal_unheld_ || mutex == 0 || held_entry(thread, mutex) != nullptr) return;
  MisuseReport report;
  report.subkind = "cond_signal_unheld";
  report.severity = Severity::warning;
  report.site = site;
  report.add_object(condvar, LockKind::condvar);
  report.add_object(mutex, LockKind::mutex);
  report_misuse(thread, report);
}

bool Detector::find_acquisition(pid_t tid, uintptr_t address, MisuseReport::Related& out) {
  InsideLockwatch inside;
  bool found = false;
  threads_.with_thread(tid, [&](const ThreadRecord& owner) {
    if (const HeldLock* held = held_entry(owner, address)) {
      out = {"acquired", owner.number, owner.tid, held->acquired_at};
      found = true;
    }
  });
  return found;
}

bool Detector::find_destruction(uintptr_t address, MisuseReport::Related& out) const {
  DestroyedLocks::Record record{};
  if (!destroyed_.find(address, record)) return false;
  out = {"destroyed", record.thread, record.tid, record.stack};
  return true;
}

bool Detector::find_initialization(uintptr_t address, MisuseReport::Related& out) const {
  const LockId lock = locks_.find(address);
  LockInfo info{};
  if (!lock.valid() || !locks_.info(lock, info)) return false;
  out = {"initialized", info.first_thread, 0, info.first_use};
  return true;
}

bool Detector::known_kind(uintptr_t address, LockKind& kind) const {
  const LockId lock = locks_.find(address);
  LockInfo info{};
  if (!lock.valid() || !locks_.info(lock, info)) return false;
  kind = info.kind;
  return true;
}

void Detector::report_misuse(ThreadState& thread, const MisuseReport& report) {
  InsideLockwatch inside;
  report_misuse_or_throw_guarded(thread, report, thread.sites.stack_for(report.site, stack_depth_, stacks_));
}

void Detector::report_misuse_or_throw_guarded(ThreadState& thread, const MisuseReport& report, StackId stack) {
  // Once per code path: the subkind and the stack of the bad call.
  uint64_t signature = 0xcbf29ce484222325ull;
  for (const char* c = report.subkind; *c != '\0'; ++c) signature = (signature ^ static_cast<unsigned char>(*c)) * 0x100000001b3ull;
  signature = (signature ^ stack) * 0x100000001b3ull;
  {
    SpinLockGuard guard(reported_misuse_lock_);
    if (std::find(reported_misuse_.begin(), reported_misuse_.end(), signature) != reported_misuse_.end()) return;
    reported_misuse_.push_back(signature);
  }
  try {
    Finding finding;
    finding.kind = "misuse";
    finding.subkind = report.subkind;
    finding.severity = report.severity;
    finding.thread = thread.number;
    finding.stack = stack;
    finding.threads.push_back({thread.number, thread.tid});
    for (size_t i = 0; i < report.object_count; ++i) {
      const MisuseReport::Object& object = report.objects[i];
      LockInfo info{};
      const LockId lock = locks_.find(object.address);
      const bool known = lock.valid() && locks_.info(lock, info);
      finding.locks.push_back({object.address, object.kind, known ? info.first_use : kNoStack});
    }
    for (size_t i = 0; i < report.related_count; ++i) {
      const MisuseReport::Related& related = report.related[i];
      finding.related.push_back({related.what, related.thread, related.stack});
      const bool listed = std::any_of(finding.threads.begin(), finding.threads.end(),
                                      [&](const FindingThread& t) { return t.number == related.thread; });
      if (!listed && related.thread != 0) finding.threads.push_back({related.thread, related.tid});
    }
    sink_.report(finding);
  } catch (...) {
    // Reporting allocates; if memory runs out the finding is lost, never the host program.
  }
}

void Detector::check_edge(ThreadState& thread, size_t held_index, LockId to, const Acquisition& request,
                          StackId requested_at) {
  InsideLockwatch inside;  // reporting allocates, formats and may load the symbolizer
  const HeldLock& held = thread.held[held_index];
  const LockId from = held.lock;
  // Its gates: the other locks held exclusively (current ones: a stale id names no lock). No
  // rwlock: a read hold of a writer-preferring one is in exclusive mode for the lock order
  // (it waits behind writers), yet other readers hold it at the same time.
  EdgeGates gates{};
  for (size_t i = 0; i < thread.held_count; ++i) {
    const HeldLock& other = thread.held[i];
    if (other.mode == LockMode::exclusive && other.kind != LockKind::rwlock && other.lock.valid() &&
        !(other.lock == from) && locks_.is_current(other.lock)) {
      gates.add(other.lock);
    }
  }
  const LockOrderGraph::Lookup known = graph_.lookup(from, to, held.mode, request.mode);
  // Without gates of its own, this occurrence leaves the edge none: no later one can narrow them.
  thread.known_edges.remember(from, to, KnownEdgeCache::modes(held.mode, request.mode),
                              known != LockOrderGraph::Lookup::known && gates.count != 0);
  if (known == LockOrderGraph::Lookup::known) return;
  EdgeEvidence evidence{};
  evidence.held_mode = held.mode;
  evidence.requested_mode = request.mode;
  evidence.thread = thread.number;
  evidence.tid = thread.tid;
  evidence.held_stack = held.acquired_at;
  evidence.requested_stack = requested_at;
  // When threads find new edges at once (a program's start, or one that keeps making new
  // lock pairs), waiting for the graph is most of what an edge costs: an edge that finds the
  // graph held waits in the thread's pending edges instead, and goes in with the thread's next
  // new edge, or once they fill up, or before the thread blocks, or at the watchdog's next look.
  Cycles cycles;
  bool full = false;
  {
    PendingEdges& pending = thread.pending_edges;
    SpinLockGuard own(pending.lock);
    const uint32_t count = pending.count.load(std::memory_order_relaxed);
    pending.edges[count] = {{from, to, evidence}, gates};
    pending.count.store(count + 1, std::memory_order_relaxed);
    add_pending_edges(pending, count + 1 == PendingEdges::kCapacity, cycles, full);
  }
  report_new_edges(cycles, full);
}

void Detector::add_pending_edges(PendingEdges& pending, bool wait, Cycles& cycles, bool& full) {
  const uint32_t count = pending.count.load(std::memory_order_relaxed);
  if (count != 0 && graph_.add_edges(pending.edges, count, wait, cycles, full)) {
    pending.count.store(0, std::memory_order_relaxed);
  }
}

void Detector::add_pending_edges_of(ThreadState& thread, bool wait) {
  InsideLockwatch inside;
  Cycles cycles;
  bool full = false;
  {
    SpinLockGuard own(thread.pending_edges.lock);
    add_pending_edges(thread.pending_edges, wait, cycles, full);
  }
  report_new_edges(cycles, full);
}

void Detector::add_all_pending_edges() {
  InsideLockwatch inside;
  Cycles cycles;
  bool full = false;
  {
    // Taken out of the threads under the directory's lock, added after it: threads that start
    // or end meanwhile never wait for the graph's work. Until they are in, the look's own lock
    // is held: another look (the exit's) and a fork wait for them, so that neither the end
    // record nor a child misses them.
    SpinLockGuard look(pending_look_lock_);
    std::vector<EdgeOccurrence, InternalStlAllocator<EdgeOccurrence>> taken;
    threads_.for_each([&](ThreadRecord& record) {
      // A record kept of a thread that ended holding locks has no pending edges: they were added.
      if (record.exited.load(std::memory_order_acquire)) return;
      PendingEdges& pending = static_cast<ThreadState&>(record).pending_edges;
      if (pending.count.load(std::memory_order_relaxed) == 0) return;
      SpinLockGuard own(pending.lock);
      const uint32_t count = pending.count.load(std::memory_order_relaxed);
      taken.insert(taken.end(), pending.edges, pending.edges + count);
      pending.count.store(0, std::memory_order_relaxed);
    });
    if (taken.empty()) return;
    graph_.add_edges(taken.data(), taken.size(), true, cycles, full);
  }
  report_new_edges(cycles, full);
}

void Detector::report_new_edges(const Cycles& cycles, bool full) noexcept {
  for (const Cycle& cycle : cycles) report_cycle(cycle);
  if (full && !graph_full_reported_.exchange(true)) {
    try {
      diagnostic_error(fmt::format("the lock-order graph holds its maximum of {} edges; new lock orders are not checked",
                                   LockOrderGraph::kMaxEdges));
    } catch (...) {
    }
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
    // A lock destroyed since the cycle closed: its slot may hold another lock, not named here.
    LockInfo info{};
    if (!locks_.info(edge.from, info)) info = LockInfo{0, LockKind::mutex, kNoStack, 0};
    finding.locks.push_back({info.address, info.kind, info.first_use});
  }
  for (const CycleEdge& edge : cycle) {
    finding.cycle.push_back({lock_index(edge.from), lock_index(edge.to), edge.evidence.held_mode,
                             edge.evidence.requested_mode, edge.evidence.thread, edge.evidence.held_stack,
                             edge.evidence.requested_stack});
    const bool known = std::any_of(finding.threads.begin(), finding.threads.end(),
                                   [&](const FindingThread& t) { return t.number == edge.evidence.thread; });
    if (!known) finding.threads.push_back({edge.evidence.thread, edge.evidence.tid});
  }
  sink_.report(finding);
}

}  // namespace lockwatch

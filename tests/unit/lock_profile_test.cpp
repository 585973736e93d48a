// LockProfile: one record per lock address, site counts merged from threads, timed events
// into totals, maxima and log-scale histograms; and the Detector's share on acquisitions.
#include "lock_profile.h"

#include <doctest/doctest.h>

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "detector.h"
#include "internal_allocator.h"
#include "recording_sink.h"
#include "report/profile_report.h"

using namespace lockwatch;

TEST_CASE("a histogram's quantiles are the upper bounds of the buckets that hold them") {
  auto histogram = std::make_unique<LatencyHistogram>();
  for (int i = 0; i < 99; ++i) histogram->add(100);  // bucket [64, 128)
  histogram->add(5000);                              // bucket [4096, 8192)
  CHECK(histogram->quantile(0.5) == 127);
  CHECK(histogram->quantile(1.0) == 8191);
  CHECK(LatencyHistogram{}.quantile(0.5) == 0);
}

TEST_CASE("one record per lock address, with waits, holds and their maxima") {
  LockProfile profile;
  LockRecord* a = profile.record(0x1000, LockKind::mutex, 7);
  REQUIRE(a != nullptr);
  CHECK(profile.record(0x1000, LockKind::mutex, 9) == a);
  CHECK(a->created_at.load() == 7);
  profile.add_wait(*a, 3, 1000);
  profile.add_wait(*a, 3, 3000);
  profile.add_hold(*a, 3, 500);
  const std::vector<LockProfileRow> rows = profile.lock_rows(1);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].contended == 2);
  CHECK(rows[0].wait_total_ns == 4000);
  CHECK(rows[0].wait_max_ns == 3000);
  CHECK(rows[0].hold_max_ns == 500);
  CHECK(rows[0].hot_sites[0] == 3);
  CHECK(profile.lock_rows(3).empty());  // under the threshold
}

TEST_CASE("a lock's first timed hold stays in its record; a block of times comes with the next event") {
  LockProfile profile;
  LockRecord* quiet = profile.record(0x1000, LockKind::mutex, 7);
  LockRecord* busy = profile.record(0x2000, LockKind::mutex, 7);
  REQUIRE(quiet != nullptr);
  REQUIRE(busy != nullptr);
  profile.add_hold(*quiet, 3, 500);
  profile.add_hold(*busy, 3, 500);
  CHECK(quiet->times.load() == nullptr);
  profile.add_hold(*busy, 4, 2000);  // the second event makes the block, the first hold moves in
  profile.add_wait(*busy, 4, 100);
  REQUIRE(busy->times.load() != nullptr);
  CHECK(busy->first_hold_ns.load() == 0);
  std::vector<LockProfileRow> rows = profile.lock_rows(0);
  REQUIRE(rows.size() == 2);
  if (rows[0].address != 0x1000) std::swap(rows[0], rows[1]);
  CHECK(rows[0].hold_samples == 1);
  CHECK(rows[0].hold_total_ns == 500);
  CHECK(rows[0].hold_max_ns == 500);
  CHECK(rows[0].contended == 0);
  CHECK(rows[0].hot_sites[0] == 3);  // the first hold's site, kept with it
  CHECK(rows[1].hold_samples == 2);
  CHECK(rows[1].hold_total_ns == 2500);
  CHECK(rows[1].hold_max_ns == 2000);
  CHECK(rows[1].contended == 1);
  CHECK(rows[1].hot_sites[0] == 4);
  CHECK(rows[1].hot_sites[1] == 3);  // moved into the block with the hold
  CHECK(profile.lock_rows(1).size() == 1);  // the quiet lock was never contended
}

TEST_CASE("holds and waits timed at once on a fresh lock are each counted once") {
  for (int round = 0; round < 200; ++round) {
    LockProfile profile;
    LockRecord* lock = profile.record(0x1000, LockKind::mutex, 7);
    REQUIRE(lock != nullptr);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&profile, lock, i] {
        if (i % 2 == 0) {
          profile.add_hold(*lock, 3, 100);
        } else {
          profile.add_wait(*lock, 3, 100);
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    const std::vector<LockProfileRow> rows = profile.lock_rows(0);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].hold_samples == 2);
    CHECK(rows[0].hold_total_ns == 200);
    CHECK(rows[0].contended == 2);
  }
}

namespace {

// A detector with two attached threads, for the Detector's share of the profile.
struct TwoThreads {
  Options options;
  RecordingSink sink;
  Detector detector{options, sink};
  ThreadState* first = attach(101, 0x71);
  ThreadState* second = attach(102, 0x72);

  ~TwoThreads() {
    internal_free(first, sizeof(ThreadState));
    internal_free(second, sizeof(ThreadState));
  }
  ThreadState* attach(pid_t tid, uintptr_t self) {
    auto* thread = static_cast<ThreadState*>(internal_allocate(sizeof(ThreadState)));
    detector.attach_thread(*thread, tid, self);
    return thread;
  }
  // One acquisition of the rwlock at `address` in `mode`, released at once.
  __attribute__((noinline)) void take(ThreadState& thread, uintptr_t address, LockMode mode) {
    detector.on_lock_requested(thread, {address, LockKind::rwlock, mode, true, true}, LOCKWATCH_CALL_SITE());
    detector.on_lock_acquired(thread, address);
    detector.on_lock_released(thread, address);
  }
};

}  // namespace

TEST_CASE("the detector counts acquisitions, reads and owner changes per lock, and per site") {
  TwoThreads h;
  for (int i = 0; i < 10; ++i) h.take(*h.first, 0x2000, LockMode::exclusive);
  // Reads count in the reader's own entry and reach the record a batch at a time: a whole
  // batch, then one more read, which a profile written now still counts.
  for (uint32_t i = 0; i < ThreadProfile::kReadBatch + 1; ++i) h.take(*h.second, 0x2000, LockMode::read);
  h.take(*h.first, 0x2000, LockMode::exclusive);
  const ProfileSnapshot snapshot = h.detector.profile_snapshot(0);
  REQUIRE(snapshot.locks.size() == 1);
  CHECK(snapshot.locks[0].acquisitions == 11 + ThreadProfile::kReadBatch + 1);
  CHECK(snapshot.locks[0].reads == ThreadProfile::kReadBatch + 1);
  CHECK(snapshot.locks[0].owner_changes == 3);  // t1, t2 (its batch of reads), t1
  uint64_t site_acquisitions = 0;
  for (const SiteProfileRow& site : snapshot.sites) site_acquisitions += site.acquisitions;
  CHECK(site_acquisitions == 11 + ThreadProfile::kReadBatch + 1);
  CHECK(h.detector.detach_thread(*h.first, [](const HeldLock&) { return false; }) == false);
  CHECK(h.detector.detach_thread(*h.second, [](const HeldLock&) { return false; }) == false);
}

TEST_CASE("reads counted in a reader's own memory reach the record exactly, while writers hold the lock") {
  // The reader's batch of reads of X goes to X's record whenever its cache entry is reused for
  // another lock (Y, in the same slot): while a writer may hold X and count its own
  // acquisition. Neither count may be lost.
  TwoThreads h;
  ThreadState& w = *h.first;
  ThreadState& r = *h.second;
  constexpr uintptr_t X = 0x20000;
  constexpr uintptr_t Y = X + ThreadProfile::kRecordCacheEntries * 16;
  REQUIRE(ThreadProfile::slot_of(X) == ThreadProfile::slot_of(Y));
  constexpr int kWrites = 100000, kReads = 100000;
  std::shared_mutex real_x;  // the program's X: writers exclude readers
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      std::unique_lock<std::shared_mutex> hold(real_x);
      h.take(w, X, LockMode::exclusive);
    }
  });
  std::thread reader([&] {
    for (int i = 0; i < kReads; ++i) {
      {
        std::shared_lock<std::shared_mutex> hold(real_x);
        h.take(r, X, LockMode::read);
      }
      h.take(r, Y, LockMode::exclusive);
    }
  });
  writer.join();
  reader.join();
  CHECK_FALSE(h.detector.detach_thread(w, [](const HeldLock&) { return false; }));
  CHECK_FALSE(h.detector.detach_thread(r, [](const HeldLock&) { return false; }));
  bool found = false;
  for (const LockProfileRow& row : h.detector.profile_snapshot(0).locks) {
    if (row.address != X) continue;
    found = true;
    CHECK(row.reads == kReads);
    CHECK(row.acquisitions == uint64_t{kWrites} + kReads);
  }
  CHECK(found);
}

TEST_CASE("durations read in human units") {
  CHECK(human_duration(999) == "999 ns");
  CHECK(human_duration(1234) == "1.23 us");
  CHECK(human_duration(45'600'000) == "45.6 ms");
  CHECK(human_duration(2'000'000'000) == "2.00 s");
}

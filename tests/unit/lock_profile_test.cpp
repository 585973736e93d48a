// LockProfile: one record per lock address, site counts merged from threads, timed events
// into totals, maxima and log-scale histograms; and the Detector's share on acquisitions.
#include "lock_profile.h"

#include <doctest/doctest.h>

#include <memory>

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

TEST_CASE("the detector counts acquisitions, reads and owner changes per lock, and per site") {
  Options options;
  RecordingSink sink;
  Detector detector(options, sink);
  auto* t1 = static_cast<ThreadState*>(internal_allocate(sizeof(ThreadState)));
  auto* t2 = static_cast<ThreadState*>(internal_allocate(sizeof(ThreadState)));
  detector.attach_thread(*t1, 101, 0x71);
  detector.attach_thread(*t2, 102, 0x72);
  auto take = [&](ThreadState& thread, LockMode mode) {
    detector.on_lock_requested(thread, {0x2000, LockKind::rwlock, mode, true, true}, LOCKWATCH_CALL_SITE());
    detector.on_lock_acquired(thread, 0x2000);
    detector.on_lock_released(thread, 0x2000);
  };
  for (int i = 0; i < 10; ++i) take(*t1, LockMode::exclusive);
  // Reads count in the reader's own entry and reach the record a batch at a time: a whole
  // batch, then one more read, which a profile written now still counts.
  for (uint32_t i = 0; i < ThreadProfile::kReadBatch + 1; ++i) take(*t2, LockMode::read);
  take(*t1, LockMode::exclusive);
  const ProfileSnapshot snapshot = detector.profile_snapshot(0);
  REQUIRE(snapshot.locks.size() == 1);
  CHECK(snapshot.locks[0].acquisitions == 11 + ThreadProfile::kReadBatch + 1);
  CHECK(snapshot.locks[0].reads == ThreadProfile::kReadBatch + 1);
  CHECK(snapshot.locks[0].owner_changes == 3);  // t1, t2 (its batch of reads), t1
  uint64_t site_acquisitions = 0;
  for (const SiteProfileRow& site : snapshot.sites) site_acquisitions += site.acquisitions;
  CHECK(site_acquisitions == 11 + ThreadProfile::kReadBatch + 1);
  CHECK(detector.detach_thread(*t1, [](const HeldLock&) { return false; }) == false);
  CHECK(detector.detach_thread(*t2, [](const HeldLock&) { return false; }) == false);
  internal_free(t1, sizeof(ThreadState));
  internal_free(t2, sizeof(ThreadState));
}

TEST_CASE("durations read in human units") {
  CHECK(human_duration(999) == "999 ns");
  CHECK(human_duration(1234) == "1.23 us");
  CHECK(human_duration(45'600'000) == "45.6 ms");
  CHECK(human_duration(2'000'000'000) == "2.00 s");
}

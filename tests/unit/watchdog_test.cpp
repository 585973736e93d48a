// Watchdog: episodes over looks. A stall is reported once per blocking call and only after
// stall_ms; a long hold while held, then its end; a hang only when every thread of the
// process is blocked; a deadlock once, after two looks.
#include "watchdog.h"

#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "internal_allocator.h"
#include "recording_sink.h"

using namespace lockwatch;

namespace {


struct FakeSampler : ThreadSampler {
  size_t threads = 0;
  CurrentStack current_stack(pid_t, StackDepot&) override { return {kNoStack, "test"}; }
  size_t process_threads() override { return threads; }
  bool handlers = false;
  bool program_handles_signals() override { return handlers; }
};

struct Harness {
  Options options;
  RecordingSink sink;
  Detector detector{options, sink};
  FakeSampler sampler;
  std::vector<ThreadState*> states;
  std::unique_ptr<Watchdog> watchdog;

  Harness() {
    options.stall_ms = 1000;
    options.long_hold_ms = 500;
    watchdog = std::make_unique<Watchdog>(options, detector, sink);
  }
  ThreadState& thread() {
    auto* state = static_cast<ThreadState*>(internal_allocate(sizeof(ThreadState)));
    detector.attach_thread(*state, static_cast<pid_t>(100 + states.size()), 0x7000 + states.size());
    states.push_back(state);
    sampler.threads = states.size();
    return *state;
  }
  void lock(ThreadState& thread, uintptr_t address) {
    detector.on_lock_requested(thread, {address, LockKind::mutex, LockMode::exclusive, true, true},
                               LOCKWATCH_CALL_SITE());
    detector.on_lock_acquired(thread, address);
  }
  void block_on(ThreadState& thread, uintptr_t address) {
    detector.on_lock_requested(thread, {address, LockKind::mutex, LockMode::exclusive, true, true},
                               LOCKWATCH_CALL_SITE());
    thread.blocked.begin(BlockingKind::lock, address);
  }
  Watchdog::Verdict look(uint64_t ms) { return watchdog->look(ms, sampler); }
  ~Harness() {
    for (ThreadState* state : states) {
      detector.threads().remove(*state);
      internal_free(state, sizeof(ThreadState));
    }
  }
};

}  // namespace

TEST_CASE("a thread blocked on a lock past stall_ms stalls, once per blocking call") {
  Harness h;
  ThreadState& owner = h.thread();
  ThreadState& waiter = h.thread();
  h.lock(owner, 0xA0);
  h.block_on(waiter, 0xA0);
  h.look(0);
  h.look(900);
  CHECK(h.sink.count("stall") == 0);
  h.look(1000);
  REQUIRE(h.sink.count("stall") == 1);
  const Finding& stall = h.sink.findings.back();
  CHECK(stall.duration_ms == 1000);
  CHECK(stall.severity == Severity::warning);
  REQUIRE(stall.dump.size() == 2);
  CHECK(stall.dump[1].number == owner.number);
  CHECK(stall.dump[1].stack_source == "test");
  REQUIRE(stall.related.size() == 1);  // where the owner took the lock
  h.look(2000);
  CHECK(h.sink.count("stall") == 1);
  // A new blocking call on the same lock is a new episode.
  waiter.blocked.end();
  h.block_on(waiter, 0xA0);
  h.look(2100);
  h.look(3100);
  CHECK(h.sink.count("stall") == 2);
}

TEST_CASE("a long hold is reported while held, once per site, and its end follows") {
  Harness h;
  ThreadState& holder = h.thread();
  h.lock(holder, 0xA0);
  h.look(0);
  h.look(400);
  CHECK(h.sink.count("long_hold") == 0);
  h.look(600);
  REQUIRE(h.sink.count("long_hold") == 1);
  CHECK(h.sink.findings.back().duration_ms == 600);
  h.look(900);
  CHECK(h.sink.hold_ends.empty());
  h.detector.on_lock_released(holder, 0xA0);
  h.look(1000);
  REQUIRE(h.sink.hold_ends.size() == 1);
  CHECK(h.sink.hold_ends[0] == 900);
}

TEST_CASE("a lock released and taken again between looks is two short holds, not one long one") {
  Harness h;
  ThreadState& holder = h.thread();
  for (uint64_t ms = 0; ms <= 2000; ms += 100) {
    h.lock(holder, 0xA0);
    h.look(ms);
    h.detector.on_lock_released(holder, 0xA0);
  }
  CHECK(h.sink.count("long_hold") == 0);
}

TEST_CASE("a hang needs every thread of the process blocked for stall_ms") {
  Harness h;
  ThreadState& t1 = h.thread();
  ThreadState& t2 = h.thread();
  t1.blocked.begin(BlockingKind::semaphore, 0x50);
  t2.blocked.begin(BlockingKind::condition_wait, 0x60);
  h.sampler.threads = 3;  // a thread lockwatch never saw runs
  h.look(0);
  CHECK(h.look(5000) == Watchdog::Verdict::none);
  h.sampler.threads = 2;  // the other thread ended: the all-blocked state starts now
  CHECK(h.look(5100) == Watchdog::Verdict::none);
  CHECK(h.look(6000) == Watchdog::Verdict::none);
  CHECK(h.look(6100) == Watchdog::Verdict::hang);
  REQUIRE(h.sink.count("hang") == 1);
  CHECK(h.sink.findings.back().dump.size() == 2);
  CHECK(h.look(9000) == Watchdog::Verdict::none);  // once
}

TEST_CASE("semaphore waits are no certain hang when a signal handler could post") {
  Harness h;
  ThreadState& t1 = h.thread();
  t1.blocked.begin(BlockingKind::semaphore, 0x50);
  h.sampler.handlers = true;
  h.look(0);
  CHECK(h.look(5000) == Watchdog::Verdict::none);
  h.sampler.handlers = false;
  CHECK(h.look(5100) == Watchdog::Verdict::hang);  // blocked alike since the first look
}

TEST_CASE("a timed wait is not a hang") {
  Harness h;
  ThreadState& t1 = h.thread();
  t1.blocked.begin(BlockingKind::semaphore, 0x50, true);
  h.look(0);
  CHECK(h.look(5000) == Watchdog::Verdict::none);
}

TEST_CASE("a deadlock is reported on the second look that sees it, once") {
  Harness h;
  ThreadState& t1 = h.thread();
  ThreadState& t2 = h.thread();
  h.lock(t1, 0xA0);
  h.lock(t2, 0xB0);
  h.block_on(t1, 0xB0);
  h.block_on(t2, 0xA0);
  CHECK(h.look(0) == Watchdog::Verdict::none);
  CHECK(h.look(100) == Watchdog::Verdict::deadlock);
  REQUIRE(h.sink.count("deadlock") == 1);
  const Finding& deadlock = h.sink.findings.back();
  CHECK(deadlock.cycle.size() == 2);
  CHECK(deadlock.dump.size() == 2);
  CHECK(h.look(200) == Watchdog::Verdict::none);
}

TEST_CASE("a dump lists every thread") {
  Harness h;
  h.thread();
  h.thread();
  h.watchdog->dump(0, h.sampler);
  CHECK(h.sink.dumps == 1);
}

// Detector: lock events from several threads become exactly the findings they should, with
// the evidence (both stacks of every edge) attached.
#include "detector.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "internal_allocator.h"
#include "recording_sink.h"
#include "wait_for_graph.h"

using namespace lockwatch;

namespace {

struct ThreadStateDeleter {
  void operator()(ThreadState* state) const { internal_free(state, sizeof(ThreadState)); }
};
using OwnedThreadState = std::unique_ptr<ThreadState, ThreadStateDeleter>;

Acquisition request(uintptr_t address, bool blocking = true, LockKind kind = LockKind::mutex,
                    LockMode mode = LockMode::exclusive) {
  return {address, kind, mode, blocking, true};
}

bool has_edge(const Detector& detector, uintptr_t from, uintptr_t to) {
  return detector.graph().contains(detector.locks().find(from), detector.locks().find(to), LockMode::exclusive,
                                   LockMode::exclusive);
}

struct Harness {
  Options options;
  RecordingSink sink;
  Detector detector{options, sink};

  OwnedThreadState thread(pid_t tid) {
    OwnedThreadState state(static_cast<ThreadState*>(internal_allocate(sizeof(ThreadState))));
    detector.attach_thread(*state, tid, static_cast<uintptr_t>(tid) * 16);
    return state;
  }

  __attribute__((noinline)) void lock(ThreadState& thread, uintptr_t address, bool blocking = true) {
    detector.on_lock_requested(thread, request(address, blocking), LOCKWATCH_CALL_SITE());
    detector.on_lock_acquired(thread, address);
  }
  void unlock(ThreadState& thread, uintptr_t address) { detector.on_lock_released(thread, address); }
};

constexpr uintptr_t A = 0x1000, B = 0x2000, C = 0x3000;

}  // namespace

TEST_CASE("ABBA in two threads gives one inversion with both stacks of both edges") {
  Harness h;
  auto t1 = h.thread(101);
  auto t2 = h.thread(102);
  h.lock(*t1, A);
  h.lock(*t1, B);
  h.unlock(*t1, B);
  h.unlock(*t1, A);
  CHECK(h.sink.findings.empty());
  h.lock(*t2, B);
  h.lock(*t2, A);
  REQUIRE(h.sink.findings.size() == 1);
  const Finding& f = h.sink.findings[0];
  CHECK(f.kind == "lock_order_inversion");
  CHECK(f.severity == Severity::error);
  REQUIRE(f.cycle.size() == 2);
  REQUIRE(f.locks.size() == 2);
  CHECK(f.threads.size() == 2);
  for (const FindingEdge& edge : f.cycle) {
    CHECK_FALSE(h.detector.stacks().get(edge.held_stack).empty());
    CHECK_FALSE(h.detector.stacks().get(edge.requested_stack).empty());
  }
  CHECK(f.cycle[0].to == f.cycle[1].from);
  CHECK(f.cycle[1].to == f.cycle[0].from);
  // Repeating the pattern reports nothing new.
  h.unlock(*t2, A);
  h.unlock(*t2, B);
  h.lock(*t1, A);
  h.lock(*t1, B);
  CHECK(h.sink.findings.size() == 1);
}

TEST_CASE("one global order never reports; try-locks add no edge") {
  Harness h;
  auto t1 = h.thread(1);
  auto t2 = h.thread(2);
  for (int round = 0; round < 100; ++round) {
    h.lock(*t1, A);
    h.lock(*t1, B);
    h.lock(*t1, C);
    h.unlock(*t1, C);
    h.unlock(*t1, B);
    h.unlock(*t1, A);
    h.lock(*t2, B);
    h.lock(*t2, A, /*blocking=*/false);
    h.unlock(*t2, A);
    h.unlock(*t2, B);
  }
  CHECK(h.sink.findings.empty());
  CHECK(h.detector.graph().edge_count() == 3);
}

TEST_CASE("a lock that died (destroyed, or freed with its memory) and a new one at its address in the other order: no inversion") {
  Harness h;
  auto t1 = h.thread(1);
  h.lock(*t1, A);
  h.lock(*t1, B);
  h.unlock(*t1, B);
  h.unlock(*t1, A);
  SUBCASE("destroyed") { h.detector.on_lock_destroyed(*t1, A, LOCKWATCH_CALL_SITE()); }
  SUBCASE("freed with its memory") {
    CHECK(h.detector.may_hold_locks(A, A + 1));
    h.detector.on_memory_released(A - 16, A + 40);  // an object with the lock inside it
    CHECK_FALSE(h.detector.locks().find(A).valid());
    CHECK(h.detector.locks().find(B).valid());
  }
  h.lock(*t1, B);
  h.lock(*t1, A);
  CHECK(h.sink.findings.empty());
}

// Known nestings (KnownNestingCache) are only consulted for a request from a call site seen
// before: these tests repeat a nesting from the same lines.
namespace {

// `held` locked in order, `requested` locked and unlocked under them, all released.
void lock_under(Harness& h, ThreadState& thread, std::initializer_list<uintptr_t> held, uintptr_t requested) {
  for (const uintptr_t address : held) h.lock(thread, address);
  h.lock(thread, requested);
  h.unlock(thread, requested);
  for (const uintptr_t address : held) h.unlock(thread, address);
}

}  // namespace

TEST_CASE("a nesting known to a thread is checked again once a lock it names has died") {
  Harness h;
  auto t1 = h.thread(1);
  auto t2 = h.thread(2);
  for (int round = 0; round < 3; ++round) {
    lock_under(h, *t1, {A}, B);  // A -> B; from the second round, a nesting known to t1
    CHECK(has_edge(h.detector, A, B));
    if (round == 0) continue;
    // The lock now at B is another lock: the same nesting makes a new edge to it.
    if (round == 1) h.detector.on_lock_destroyed(*t1, B, LOCKWATCH_CALL_SITE());
    if (round == 2) h.detector.on_lock_initialized(*t1, B, LockKind::mutex, LOCKWATCH_CALL_SITE());
    CHECK(h.detector.graph().edge_count() == 0);
  }
  lock_under(h, *t1, {A}, B);
  CHECK(has_edge(h.detector, A, B));
  lock_under(h, *t2, {B}, A);
  CHECK(h.sink.findings.size() == 1);
}

TEST_CASE("a nesting checked while a held lock's id was stale is checked again") {
  Harness h;
  auto t1 = h.thread(1);
  auto t2 = h.thread(2);
  for (int round = 0; round < 2; ++round) {  // the same call path both rounds
    h.lock(*t1, A);
    if (round == 0) {
      lock_under(h, *t1, {}, C);  // A -> C: A's held entry gets its id
      h.detector.on_lock_initialized(*t1, A, LockKind::mutex, LOCKWATCH_CALL_SITE());  // while held
    }
    h.lock(*t1, B);  // round 0: checked with A's stale id, so no edge; round 1: A -> B
    h.unlock(*t1, B);
    h.unlock(*t1, A);
  }
  CHECK(has_edge(h.detector, A, B));
  lock_under(h, *t2, {B}, A);
  CHECK(h.sink.findings.size() == 1);
}

TEST_CASE("known nestings tell apart which locks are held and which one is requested") {
  Harness h;
  auto t1 = h.thread(1);
  constexpr uintptr_t D = 0x4000, R1 = 0x5000, R2 = 0x6000;
  // Each nesting twice from the same lines: the second time it is known. Then the same locks
  // in other roles, or other locks in the same roles, are new nestings, with new edges.
  auto twice = [&](std::initializer_list<uintptr_t> held, uintptr_t requested) {
    for (int round = 0; round < 2; ++round) lock_under(h, *t1, held, requested);
  };
  twice({A, B}, C);
  twice({B, A}, C);  // the same locks held in another order: the same edges
  CHECK(h.detector.graph().edge_count() == 4);  // A->B, B->A (an inversion within t1), A->C, B->C
  twice({C, A}, B);
  CHECK(has_edge(h.detector, C, A));
  CHECK(has_edge(h.detector, C, B));
  twice({A}, D);
  twice({B}, D);
  CHECK(has_edge(h.detector, A, D));
  CHECK(has_edge(h.detector, B, D));
  // A recursive lock held twice, D requested; then another one held twice: each its own edge.
  for (const uintptr_t recursive : {R1, R2, R1, R2}) {
    for (int depth = 0; depth < 2; ++depth) {
      h.detector.on_lock_requested(*t1, request(recursive, true, LockKind::recursive_mutex), LOCKWATCH_CALL_SITE());
      h.detector.on_lock_acquired(*t1, recursive);
    }
    h.lock(*t1, D);
    h.unlock(*t1, D);
    h.unlock(*t1, recursive);
    h.unlock(*t1, recursive);
  }
  CHECK(has_edge(h.detector, R1, D));
  CHECK(has_edge(h.detector, R2, D));
}

TEST_CASE("an inversion taken only under a common gate lock is no deadlock; taken once without it, it is") {
  constexpr uintptr_t G = 0x4000;
  Harness h;
  auto t1 = h.thread(101);
  auto t2 = h.thread(102);
  auto t3 = h.thread(103);
  for (int round = 0; round < 2; ++round) {  // the second time, nestings the threads know
    lock_under(h, *t1, {G, A}, B);
    lock_under(h, *t2, {G, B}, A);
  }
  CHECK(h.sink.findings.empty());
  lock_under(h, *t3, {B}, A);  // B -> A without G: t3 and t1 can deadlock
  REQUIRE(h.sink.findings.size() == 1);
  const Finding& f = h.sink.findings[0];
  REQUIRE(f.cycle.size() == 2);
  // Told from t1's edge (the earliest thread): A -> B by t1, then B -> A by t3, not t2.
  CHECK(f.cycle[0].thread == t1->number);
  CHECK(f.cycle[1].thread == t3->number);
  CHECK(f.locks[f.cycle[0].from].address == A);
}

TEST_CASE("a lock held for reading is no gate: readers hold it at once") {
  constexpr uintptr_t G = 0x4000;
  Harness h;
  auto t1 = h.thread(101);
  auto t2 = h.thread(102);
  auto read_lock = [&](ThreadState& thread) {
    h.detector.on_lock_requested(thread, request(G, true, LockKind::rwlock, LockMode::read), LOCKWATCH_CALL_SITE());
    h.detector.on_lock_acquired(thread, G);
  };
  read_lock(*t1);
  lock_under(h, *t1, {A}, B);
  h.unlock(*t1, G);
  CHECK(h.sink.findings.empty());
  read_lock(*t2);
  lock_under(h, *t2, {B}, A);
  h.unlock(*t2, G);
  CHECK(h.sink.findings.size() == 1);
}

TEST_CASE("no rwlock is a gate: a writer-preferring one's read holds order like writes, yet readers share it") {
  constexpr uintptr_t G = 0x4000;
  Harness h;
  auto t1 = h.thread(101);
  auto t2 = h.thread(102);
  auto read_lock_writer_preferring = [&](ThreadState& thread) {  // as the shim requests it
    h.detector.on_lock_requested(thread, request(G, true, LockKind::rwlock, LockMode::exclusive),
                                 LOCKWATCH_CALL_SITE());
    h.detector.on_lock_acquired(thread, G);
  };
  read_lock_writer_preferring(*t1);
  lock_under(h, *t1, {A}, B);
  h.unlock(*t1, G);
  read_lock_writer_preferring(*t2);
  lock_under(h, *t2, {B}, A);
  h.unlock(*t2, G);
  CHECK(h.sink.findings.size() == 1);
}

TEST_CASE("unlocking out of order keeps the held set right") {
  Harness h;
  auto t1 = h.thread(1);
  auto t2 = h.thread(2);
  h.lock(*t1, A);
  h.lock(*t1, B);
  h.unlock(*t1, A);  // B still held
  h.lock(*t1, C);    // edge B -> C only
  h.unlock(*t1, C);
  h.unlock(*t1, B);
  CHECK(h.detector.graph().edge_count() == 2);
  CHECK(t1->held_count == 0);
  h.lock(*t2, C);
  h.lock(*t2, B);  // C -> B closes B -> C: a real inversion, even though A was released
  CHECK(h.sink.findings.size() == 1);
}

TEST_CASE("the acquisition-site cache reuses a stack for the same call path") {
  Harness h;
  auto t1 = h.thread(1);
  for (int i = 0; i < 50; ++i) {
    h.lock(*t1, A);
    h.unlock(*t1, A);
  }
  CHECK(t1->sites.unwinds() == 1);
}

namespace {
// One lock call (the same return address and stack pointer) reached from two callers in turn.
// The volatile stores after each call keep the calls from becoming tail jumps, which would
// drop the callers' frames.
volatile int no_tail_call;
__attribute__((noipa)) void lock_a_shared(Harness& h, ThreadState& thread) {
  h.lock(thread, A);
  no_tail_call = 0;
}
__attribute__((noipa)) void first_caller(Harness& h, ThreadState& thread) {
  lock_a_shared(h, thread);
  no_tail_call = 1;
}
__attribute__((noipa)) void second_caller(Harness& h, ThreadState& thread) {
  lock_a_shared(h, thread);
  no_tail_call = 2;
}
}  // namespace

TEST_CASE("two call paths through one call site, taken in turn, are unwound once each") {
  Harness h;
  auto t1 = h.thread(1);
  for (int i = 0; i < 50; ++i) {
    first_caller(h, *t1);
    h.unlock(*t1, A);
    second_caller(h, *t1);
    h.unlock(*t1, A);
  }
  CHECK(t1->sites.unwinds() == 2);
}

TEST_CASE("threads locking concurrently in one global order report nothing; one reversed pair reports once") {
  Harness h;
  constexpr int kThreads = 4;
  constexpr uintptr_t kLocks = 32;
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&h, t] {
      auto state = h.thread(1000 + t);
      uint64_t seed = 0x9e3779b97f4a7c15ull * (t + 1);
      for (int round = 0; round < 2000; ++round) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        const uintptr_t first = seed % (kLocks - 1);
        const uintptr_t second = first + 1 + (seed >> 32) % (kLocks - 1 - first);
        h.lock(*state, 0x10000 + first * 64);
        h.lock(*state, 0x10000 + second * 64);
        h.unlock(*state, 0x10000 + second * 64);
        h.unlock(*state, 0x10000 + first * 64);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  CHECK(h.sink.findings.empty());
  auto forward = h.thread(2000);
  h.lock(*forward, 0x10000);
  h.lock(*forward, 0x10000 + 31 * 64);
  h.unlock(*forward, 0x10000 + 31 * 64);
  h.unlock(*forward, 0x10000);
  CHECK(h.sink.findings.empty());
  auto backward = h.thread(2001);
  h.lock(*backward, 0x10000 + 31 * 64);
  h.lock(*backward, 0x10000);
  CHECK(h.sink.findings.size() == 1);
}

TEST_CASE("a lock taken by a signal handler between request and acquisition leaves the held set right") {
  Harness h;
  auto t1 = h.thread(1);
  h.detector.on_lock_requested(*t1, request(A), LOCKWATCH_CALL_SITE());
  h.lock(*t1, B);  // the handler's lock and unlock reuse the staging slot
  h.unlock(*t1, B);
  h.detector.on_lock_acquired(*t1, A);
  REQUIRE(t1->held_count == 1);
  CHECK(t1->held[0].address == A);
  h.lock(*t1, C);
  CHECK(has_edge(h.detector, A, C));
}

TEST_CASE("a thread that ends holding a lock is reported and stays visible as its holder") {
  Harness h;
  auto t1 = h.thread(77);
  auto t2 = h.thread(78);
  h.lock(*t1, A);
  CHECK(h.detector.detach_thread(*t1, [](const HeldLock&) { return false; }));
  REQUIRE(h.sink.findings.size() == 1);
  CHECK(h.sink.findings[0].kind == "misuse");
  CHECK(h.sink.findings[0].subkind == "exit_holding");
  CHECK(h.sink.findings[0].related.size() == 1);
  MisuseReport::Related holder{};
  CHECK(h.detector.find_acquisition(77, A, holder));
  CHECK_FALSE(h.detector.detach_thread(*t2, [](const HeldLock&) { return false; }));  // held nothing: unlisted
  CHECK_FALSE(h.detector.find_acquisition(78, A, holder));
}

TEST_CASE("a hold another thread ended is dropped: the watchdog does not see it, the owner may lock again and end") {
  Harness h;
  auto owner = h.thread(77);
  h.lock(*owner, B);
  h.lock(*owner, A);
  h.detector.on_lock_released_for(77, A);  // another thread unlocked A, which freed it
  h.detector.on_lock_released_for(77, C);  // not held: nothing to end
  const std::vector<ThreadSnapshot> seen = snapshot_threads(h.detector.threads());
  REQUIRE(seen.size() == 1);
  REQUIRE(seen[0].held.size() == 1);
  CHECK(seen[0].held[0].address == B);
  CHECK(owner->held_count == 2);  // until its next slow path
  h.lock(*owner, A);              // A is free: no relock
  CHECK(h.sink.findings.empty());
  CHECK(owner->held_count == 2);  // B, and A again
  h.unlock(*owner, A);
  h.unlock(*owner, B);
  // Once more, and it ends holding nothing for real.
  h.lock(*owner, A);
  h.detector.on_lock_released_for(77, A);
  CHECK_FALSE(h.detector.detach_thread(*owner, [](const HeldLock&) { return false; }));
  CHECK(h.sink.findings.empty());
}

TEST_CASE("a thread that ends holding a lock leaves a record of itself, and its state can go") {
  Harness h;
  auto t1 = h.thread(80);
  h.lock(*t1, A);
  h.lock(*t1, B);
  CHECK(h.detector.detach_thread(*t1, [](const HeldLock&) { return false; }));
  t1.reset();  // the state is the caller's to free: the record kept is a copy
  MisuseReport::Related holder{};
  REQUIRE(h.detector.find_acquisition(80, B, holder));
  CHECK(holder.tid == 80);
  CHECK(h.detector.find_acquisition(80, A, holder));
  // The profile's snapshot walks the listed threads: the record has no caches to read.
  (void)h.detector.profile_snapshot(0);
}

TEST_CASE("a forked child keeps only the thread that forked, or none") {
  Harness h;
  auto forker = h.thread(90);
  auto other = h.thread(91);
  h.lock(*forker, A);
  h.lock(*other, B);
  h.detector.adopt_forked_child(forker.get());
  MisuseReport::Related holder{};
  CHECK(h.detector.find_acquisition(90, A, holder));
  CHECK_FALSE(h.detector.find_acquisition(91, B, holder));  // the other thread is not in the child
  h.detector.adopt_forked_child(nullptr);  // a forking thread lockwatch had no state for
  CHECK_FALSE(h.detector.find_acquisition(90, A, holder));
}

TEST_CASE("locks made to outlive their owner (robust mutexes) are no exit_holding") {
  Harness h;
  auto t1 = h.thread(79);
  h.lock(*t1, A);
  CHECK_FALSE(h.detector.detach_thread(*t1, [](const HeldLock& held) { return held.address == A; }));
  CHECK(h.sink.findings.empty());
}

TEST_CASE("an edge found while another thread holds the graph waits in its thread until the next chance") {
  constexpr uintptr_t D = 0x4000;
  Harness h;
  auto t1 = h.thread(101);
  auto t2 = h.thread(102);
  // Registers A, B and D (nested under C) and unwinds the call path, so that below only the
  // graph's own lock is in the way. Edges A->C, B->C, D->C.
  for (uintptr_t outer : {A, B, D}) {
    h.lock(*t1, outer);
    h.lock(*t1, C);
    h.unlock(*t1, C);
    h.unlock(*t1, outer);
  }
  // Another thread holding the graph, as while it adds an edge.
  LockOrderGraph& graph = const_cast<LockOrderGraph&>(h.detector.graph());
  graph.lock_for_fork();
  h.lock(*t1, A);
  h.lock(*t1, B);
  h.unlock(*t1, B);
  h.unlock(*t1, A);
  graph.unlock_after_fork();
  CHECK_FALSE(has_edge(h.detector, A, B));
  CHECK(t1->pending_edges.count.load() == 1);

  SUBCASE("the thread's next new edge takes it along") {
    h.lock(*t1, D);
    h.lock(*t1, A);
    CHECK(has_edge(h.detector, D, A));
    CHECK(has_edge(h.detector, A, B));
    CHECK(t1->pending_edges.count.load() == 0);
  }
  SUBCASE("an inversion with a kept edge is reported once the watchdog's look adds it") {
    h.lock(*t2, B);
    h.lock(*t2, A);  // B->A goes in; A->B is still t1's
    CHECK(h.sink.findings.empty());
    h.detector.add_all_pending_edges();
    REQUIRE(h.sink.findings.size() == 1);
    const Finding& f = h.sink.findings[0];
    CHECK(f.kind == "lock_order_inversion");
    REQUIRE(f.cycle.size() == 2);
    for (const FindingEdge& edge : f.cycle) {
      CHECK_FALSE(h.detector.stacks().get(edge.held_stack).empty());
      CHECK_FALSE(h.detector.stacks().get(edge.requested_stack).empty());
    }
  }
  SUBCASE("a thread that ends adds what it kept") {
    CHECK_FALSE(h.detector.detach_thread(*t1, [](const HeldLock&) { return false; }));
    CHECK(has_edge(h.detector, A, B));
  }
  SUBCASE("while the watchdog's look waits for the graph, threads still start and end") {
    graph.lock_for_fork();
    std::thread watchdog([&] { h.detector.add_all_pending_edges(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // it is waiting for the graph now
    std::atomic<bool> came_and_went{false};
    std::thread other([&] {
      auto t3 = h.thread(103);
      h.detector.detach_thread(*t3, [](const HeldLock&) { return false; });
      came_and_went = true;
    });
    for (int waited = 0; waited < 200 && !came_and_went; ++waited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(came_and_went.load());
    CHECK_FALSE(has_edge(h.detector, A, B));
    graph.unlock_after_fork();
    other.join();
    watchdog.join();
    CHECK(has_edge(h.detector, A, B));
  }
  SUBCASE("the exit's look, and a fork, wait for the edges the watchdog's look took") {
    h.lock(*t2, B);
    h.lock(*t2, A);  // B->A goes in; A->B is still t1's
    h.unlock(*t2, A);
    h.unlock(*t2, B);
    graph.lock_for_fork();
    std::thread watchdog([&] { h.detector.add_all_pending_edges(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // it took A->B and waits for the graph
    std::atomic<bool> edge_in_at_exit{false}, edge_in_at_fork{false};
    // Runtime::on_process_exit, before the end record (which waits for the reports in flight).
    std::thread exiting([&] {
      h.detector.add_all_pending_edges();
      edge_in_at_exit = has_edge(h.detector, A, B);
    });
    std::thread forking([&] {  // Runtime::before_fork: what the child would inherit
      h.detector.lock_for_fork();
      edge_in_at_fork = has_edge(h.detector, A, B);
      h.detector.unlock_after_fork();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    graph.unlock_after_fork();
    exiting.join();
    forking.join();
    watchdog.join();
    CHECK(edge_in_at_exit.load());
    CHECK(edge_in_at_fork.load());
    CHECK(h.sink.findings.size() == 1);
  }
}

TEST_CASE("an edge kept pending past the death of its lock never enters the graph, nor names the lock's successor") {
  constexpr uintptr_t D = 0x4000, E = 0x9000;
  Harness h;
  auto t1 = h.thread(101);
  auto t2 = h.thread(102);
  for (uintptr_t outer : {A, B, D}) {  // registered, and the call paths unwound (see above)
    h.lock(*t1, outer);
    h.lock(*t1, C);
    h.unlock(*t1, C);
    h.unlock(*t1, outer);
  }
  const LockId b_before = h.detector.locks().find(B);
  LockOrderGraph& graph = const_cast<LockOrderGraph&>(h.detector.graph());
  graph.lock_for_fork();  // another thread holds the graph
  h.lock(*t1, A);
  h.lock(*t1, B);  // A->B kept by t1
  h.unlock(*t1, B);
  h.unlock(*t1, A);
  h.lock(*t2, B);
  h.lock(*t2, A);  // B->A kept by t2
  h.unlock(*t2, A);
  h.unlock(*t2, B);
  graph.unlock_after_fork();
  REQUIRE(t1->pending_edges.count.load() == 1);
  REQUIRE(t2->pending_edges.count.load() == 1);
  // B dies, and a new lock elsewhere takes its registry index.
  h.detector.on_lock_destroyed(*t1, B, LOCKWATCH_CALL_SITE());
  h.detector.on_lock_initialized(*t1, E, LockKind::mutex, LOCKWATCH_CALL_SITE());
  REQUIRE(h.detector.locks().find(E).index() == b_before.index());
  CHECK(graph.edge_count() == 2);  // A->C, D->C
  h.detector.add_all_pending_edges();
  CHECK(graph.edge_count() == 2);
  CHECK(h.sink.findings.empty());
  CHECK(graph.check_invariants());
}

// WaitForGraph: a cycle of threads each stuck waiting for the next (a lock it holds, or its
// end) is a deadlock; a chain that ends at a thread that can still act is not; condvar waits
// join a cycle only when every thread of the process is blocked.
#include "wait_for_graph.h"

#include <doctest/doctest.h>

#include <vector>

#include "internal_allocator.h"

using namespace lockwatch;

namespace {

struct Threads {
  ThreadDirectory directory;
  std::vector<ThreadState*> states;

  ThreadState& add(uint32_t number) {
    auto* state = static_cast<ThreadState*>(internal_allocate(sizeof(ThreadState)));
    state->number = number;
    state->tid = static_cast<pid_t>(1000 + number);
    state->self = 0x7000 + number;
    directory.add(*state);
    states.push_back(state);
    return *state;
  }
  std::vector<WaitLink> deadlock(bool everyone_blocked = false) {
    snapshot = snapshot_threads(directory);
    return find_deadlock(snapshot, everyone_blocked);
  }
  uint32_t number(size_t index) const { return snapshot[index].number; }
  ~Threads() {
    for (ThreadState* state : states) {
      directory.remove(*state);
      internal_free(state, sizeof(ThreadState));
    }
  }
  std::vector<ThreadSnapshot> snapshot;
};

void hold(ThreadState& thread, uintptr_t lock, LockKind kind = LockKind::mutex, LockMode mode = LockMode::exclusive) {
  thread.held[thread.held_count++] = {lock, LockId(), 7, ++thread.acquisitions, kind, mode};
}

void block_on(ThreadState& thread, uintptr_t lock, LockKind kind = LockKind::mutex,
              LockMode mode = LockMode::exclusive) {
  thread.held[thread.held_count] = {lock, LockId(), 9, ++thread.acquisitions, kind, mode};
  thread.blocked.begin(BlockingKind::lock, lock);
}

}  // namespace

TEST_CASE("two threads blocked on each other's lock deadlock") {
  Threads threads;
  ThreadState& t1 = threads.add(1);
  ThreadState& t2 = threads.add(2);
  hold(t1, 0xA0);
  hold(t2, 0xB0);
  block_on(t1, 0xB0);
  block_on(t2, 0xA0);
  const std::vector<WaitLink> cycle = threads.deadlock();
  REQUIRE(cycle.size() == 2);
  CHECK(threads.number(cycle[0].thread) == 1);
  CHECK(threads.number(cycle[0].next) == 2);
  CHECK(threads.number(cycle[1].next) == 1);
}

TEST_CASE("a chain that ends at a thread that is not blocked is no deadlock") {
  Threads threads;
  ThreadState& t1 = threads.add(1);
  ThreadState& t2 = threads.add(2);
  ThreadState& t3 = threads.add(3);
  hold(t1, 0xA0);
  hold(t2, 0xB0);
  hold(t3, 0xC0);
  block_on(t1, 0xB0);
  block_on(t2, 0xC0);  // t3 runs: it will release C
  CHECK(threads.deadlock().empty());
}

TEST_CASE("a timed lock request gives up by itself: no deadlock") {
  Threads threads;
  ThreadState& t1 = threads.add(1);
  ThreadState& t2 = threads.add(2);
  hold(t1, 0xA0);
  hold(t2, 0xB0);
  block_on(t1, 0xB0);
  t2.held[t2.held_count] = {0xA0, LockId(), 9, 5, LockKind::mutex, LockMode::exclusive};
  t2.blocked.begin(BlockingKind::timed_lock, 0xA0);
  CHECK(threads.deadlock().empty());
}

TEST_CASE("readers of a reader-preferring rwlock do not wait for each other") {
  Threads threads;
  ThreadState& t1 = threads.add(1);
  ThreadState& t2 = threads.add(2);
  hold(t1, 0xA0, LockKind::rwlock, LockMode::read);
  hold(t2, 0xB0, LockKind::rwlock, LockMode::read);
  block_on(t1, 0xB0, LockKind::rwlock, LockMode::read);
  block_on(t2, 0xA0, LockKind::rwlock, LockMode::read);
  CHECK(threads.deadlock().empty());
}

TEST_CASE("a writer waits for every reader: stuck only while all of them are") {
  Threads threads;
  ThreadState& t1 = threads.add(1);
  ThreadState& t2 = threads.add(2);
  ThreadState& t3 = threads.add(3);
  hold(t1, 0xA0);
  hold(t2, 0xB0, LockKind::rwlock, LockMode::read);
  hold(t3, 0xB0, LockKind::rwlock, LockMode::read);
  block_on(t1, 0xB0, LockKind::rwlock, LockMode::exclusive);
  block_on(t2, 0xA0);
  CHECK(threads.deadlock().empty());  // t3 reads on and will release B
  block_on(t3, 0xA0);
  CHECK(threads.deadlock().size() == 2);
}

TEST_CASE("a thread joining a thread that waits for a lock the joiner holds deadlocks") {
  Threads threads;
  ThreadState& t1 = threads.add(1);
  ThreadState& t2 = threads.add(2);
  hold(t1, 0xA0);
  t1.blocked.begin(BlockingKind::join, t2.self);
  block_on(t2, 0xA0);
  const std::vector<WaitLink> cycle = threads.deadlock();
  REQUIRE(cycle.size() == 2);
  CHECK(threads.number(cycle[0].thread) == 1);
  CHECK(threads.snapshot[cycle[0].thread].blocked() == BlockingKind::join);
}

TEST_CASE("a condvar wait joins a cycle through its signaller only when everyone is blocked") {
  Threads threads;
  ThreadState& waiter = threads.add(1);
  ThreadState& signaller = threads.add(2);
  hold(waiter, 0xA0);
  signaller.signals.remember(0xC0);
  waiter.blocked.begin(BlockingKind::condition_wait, 0xC0);
  block_on(signaller, 0xA0);
  CHECK(threads.deadlock(false).empty());  // another thread could still signal
  CHECK(threads.deadlock(true).size() == 2);
}

TEST_CASE("a thread whose call changed while it was copied is not taken as blocked") {
  Threads threads;
  ThreadState& t1 = threads.add(1);
  block_on(t1, 0xB0);
  t1.held[t1.held_count].address = 0xC0;  // the staged request no longer matches the wait
  const std::vector<ThreadSnapshot> snapshot = snapshot_threads(threads.directory);
  CHECK(snapshot[0].word == 0);
}

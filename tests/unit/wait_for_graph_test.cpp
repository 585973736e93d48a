// WaitForGraph: a cycle of threads each blocked on a lock the next holds is a deadlock once it
// is seen on two consecutive looks; a chain that ends at a running thread is not.
#include "wait_for_graph.h"

#include <doctest/doctest.h>

#include <memory>
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
    directory.add(*state);
    states.push_back(state);
    return *state;
  }
  ~Threads() {
    for (ThreadState* state : states) {
      directory.remove(*state);
      internal_free(state, sizeof(ThreadState));
    }
  }
};

void hold(ThreadState& thread, uintptr_t lock) {
  thread.held[thread.held_count++] = {lock, LockId(), 7, LockKind::mutex, LockMode::exclusive};
}

void block_on(ThreadState& thread, uintptr_t lock) {
  thread.held[thread.held_count] = {lock, LockId(), 9, LockKind::mutex, LockMode::exclusive};
  thread.blocked.begin(BlockingKind::lock, lock);
}

}  // namespace

TEST_CASE("two threads blocked on each other's lock deadlock, once the cycle is stable") {
  Threads threads;
  ThreadState& t1 = threads.add(1);
  ThreadState& t2 = threads.add(2);
  hold(t1, 0xA0);
  hold(t2, 0xB0);
  block_on(t1, 0xB0);
  block_on(t2, 0xA0);
  WaitForGraph graph;
  std::vector<DeadlockLink> cycle;
  CHECK_FALSE(graph.find_stable_cycle(threads.directory, cycle));  // first sight
  REQUIRE(graph.find_stable_cycle(threads.directory, cycle));
  REQUIRE(cycle.size() == 2);
  CHECK(cycle[0].thread == 1);
  CHECK(cycle[0].held == 0xA0);
  CHECK(cycle[0].waits_for == 0xB0);
  CHECK(cycle[0].held_stack == 7);
  CHECK(cycle[0].waiting_at == 9);
  CHECK(cycle[1].held == 0xB0);
  CHECK(cycle[1].waits_for == 0xA0);
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
  WaitForGraph graph;
  std::vector<DeadlockLink> cycle;
  CHECK_FALSE(graph.find_stable_cycle(threads.directory, cycle));
  CHECK_FALSE(graph.find_stable_cycle(threads.directory, cycle));
}

TEST_CASE("readers of a reader-preferring rwlock do not wait for each other") {
  Threads threads;
  ThreadState& t1 = threads.add(1);
  ThreadState& t2 = threads.add(2);
  t1.held[t1.held_count++] = {0xA0, LockId(), 7, LockKind::rwlock, LockMode::read};
  t2.held[t2.held_count++] = {0xB0, LockId(), 7, LockKind::rwlock, LockMode::read};
  t1.held[t1.held_count] = {0xB0, LockId(), 9, LockKind::rwlock, LockMode::read};
  t1.blocked.begin(BlockingKind::lock, 0xB0);
  t2.held[t2.held_count] = {0xA0, LockId(), 9, LockKind::rwlock, LockMode::read};
  t2.blocked.begin(BlockingKind::lock, 0xA0);
  WaitForGraph graph;
  std::vector<DeadlockLink> cycle;
  graph.find_stable_cycle(threads.directory, cycle);
  CHECK_FALSE(graph.find_stable_cycle(threads.directory, cycle));
}

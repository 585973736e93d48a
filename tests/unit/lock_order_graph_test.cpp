// LockOrderGraph: cycles of every length are found once, DAGs never give a false cycle,
// removed locks leave the graph, and a large graph stays consistent.
#include "lock_order_graph.h"

#include <doctest/doctest.h>

#include <atomic>
#include <initializer_list>
#include <random>
#include <thread>
#include <vector>

using namespace lockwatch;

namespace {

LockId lock(uint32_t index, uint32_t generation = 1) {
  return {index, generation};
}

EdgeEvidence evidence(uint32_t thread, LockMode held = LockMode::exclusive,
                      LockMode requested = LockMode::exclusive) {
  EdgeEvidence e{};
  e.held_mode = held;
  e.requested_mode = requested;
  e.thread = thread;
  e.held_stack = thread * 10 + 1;
  e.requested_stack = thread * 10 + 2;
  return e;
}

// Adds an edge (an occurrence of it, held with `gates`); true when it closes a cycle not
// reported before.
bool add(LockOrderGraph& graph, LockId from, LockId to, const EdgeEvidence& e, Cycle& cycle,
         std::initializer_list<LockId> gates = {}) {
  EdgeGates held{};
  for (LockId gate : gates) held.add(gate);
  return graph.add_edge(from, to, e, cycle, held) == LockOrderGraph::AddResult::closes_new_cycle;
}

bool gated(const LockOrderGraph& graph, LockId from, LockId to) {
  return graph.lookup(from, to, LockMode::exclusive, LockMode::exclusive) == LockOrderGraph::Lookup::gated;
}

}  // namespace

TEST_CASE("a 2-cycle is reported when its second edge arrives, with both edges in order") {
  LockOrderGraph graph;
  Cycle cycle;
  CHECK_FALSE(add(graph, lock(1), lock(2), evidence(1), cycle));
  CHECK(graph.contains(lock(1), lock(2), LockMode::exclusive, LockMode::exclusive));
  REQUIRE(add(graph, lock(2), lock(1), evidence(2), cycle));
  REQUIRE(cycle.size() == 2);
  CHECK(cycle[0].from == lock(2));
  CHECK(cycle[0].to == lock(1));
  CHECK(cycle[0].evidence.thread == 2);
  CHECK(cycle[1].from == lock(1));
  CHECK(cycle[1].to == lock(2));
  CHECK(cycle[1].evidence.thread == 1);
  CHECK(cycle[1].evidence.held_stack == 11);
  CHECK(cycle[1].evidence.requested_stack == 12);
  CHECK(graph.check_invariants());
}

TEST_CASE("a known edge is not added twice and a reported cycle is not reported again") {
  LockOrderGraph graph;
  Cycle cycle;
  add(graph, lock(1), lock(2), evidence(1), cycle);
  CHECK(add(graph, lock(2), lock(1), evidence(2), cycle));
  CHECK_FALSE(add(graph, lock(2), lock(1), evidence(3), cycle));
  CHECK(graph.edge_count() == 2);
}

TEST_CASE("3-cycles and long cycles are found whole") {
  for (uint32_t length : {3u, 5u, 50u, 1000u}) {
    LockOrderGraph graph;
    Cycle cycle;
    for (uint32_t i = 1; i < length; ++i) CHECK_FALSE(add(graph, lock(i), lock(i + 1), evidence(i), cycle));
    REQUIRE(add(graph, lock(length), lock(1), evidence(length), cycle));
    REQUIRE(cycle.size() == length);
    for (size_t i = 0; i < cycle.size(); ++i) CHECK(cycle[i].to == cycle[(i + 1) % cycle.size()].from);
  }
}

TEST_CASE("the shortest cycle through the new edge is the one reported") {
  LockOrderGraph graph;
  Cycle cycle;
  // 2 -> 3 -> 4 -> 1 and a shortcut 2 -> 1.
  add(graph, lock(2), lock(3), evidence(1), cycle);
  add(graph, lock(3), lock(4), evidence(1), cycle);
  add(graph, lock(4), lock(1), evidence(1), cycle);
  add(graph, lock(2), lock(1), evidence(1), cycle);
  REQUIRE(add(graph, lock(1), lock(2), evidence(2), cycle));
  CHECK(cycle.size() == 2);
}

TEST_CASE("a DAG of 10,000 locks in one global order gives no cycle") {
  LockOrderGraph graph;
  Cycle cycle;
  std::mt19937 random(42);
  size_t added = 0;
  for (int i = 0; i < 40000; ++i) {
    uint32_t a = random() % 10000 + 1;
    uint32_t b = random() % 10000 + 1;
    if (a == b) continue;
    if (a > b) std::swap(a, b);
    CHECK_FALSE(add(graph, lock(a), lock(b), evidence(1), cycle));
    ++added;
  }
  CHECK(graph.edge_count() > 30000);
  CHECK(graph.check_invariants());
  // One back edge over the whole chain closes exactly one cycle.
  for (uint32_t i = 1; i < 10000; ++i) add(graph, lock(i), lock(i + 1), evidence(1), cycle);
  REQUIRE(add(graph, lock(10000), lock(1), evidence(2), cycle));
  CHECK(cycle.size() >= 2);
}

TEST_CASE("removing a lock drops its edges, and its successor at the same slot starts clean") {
  LockOrderGraph graph;
  Cycle cycle;
  add(graph, lock(1), lock(2), evidence(1), cycle);
  graph.remove_lock(lock(1));
  CHECK(graph.edge_count() == 0);
  // Slot 1 reused by a new lock (generation 2): the old edge must not close a cycle.
  CHECK_FALSE(add(graph, lock(2), lock(1, 2), evidence(2), cycle));
  CHECK_FALSE(graph.contains(lock(1, 2), lock(2), LockMode::exclusive, LockMode::exclusive));
  CHECK(graph.check_invariants());
}

TEST_CASE("churn of short-lived locks recycles edges and keeps finding cycles") {
  LockOrderGraph graph;
  Cycle cycle;
  for (uint32_t round = 1; round <= 1500000; ++round) {
    const uint32_t generation = round + 1;
    CHECK_FALSE(add(graph, lock(1), lock(2, generation), evidence(1), cycle));
    graph.remove_lock(lock(2, generation));
  }
  CHECK(graph.edge_count() == 0);
  CHECK(graph.check_invariants());
  CHECK_FALSE(add(graph, lock(3), lock(4), evidence(3), cycle));
  CHECK(add(graph, lock(4), lock(3), evidence(4), cycle));
}

TEST_CASE("an id older than the lock now at its slot adds nothing") {
  LockOrderGraph graph;
  Cycle cycle;
  CHECK_FALSE(add(graph, lock(1, 5), lock(2), evidence(1), cycle));
  CHECK(graph.add_edge(lock(1, 4), lock(2), evidence(1), cycle) == LockOrderGraph::AddResult::known_or_stale);
  CHECK(graph.contains(lock(1, 5), lock(2), LockMode::exclusive, LockMode::exclusive));
}

TEST_CASE("the same code path on many lock pairs is one finding") {
  LockOrderGraph graph;
  Cycle cycle;
  size_t findings = 0;
  for (uint32_t pair = 0; pair < 100; ++pair) {
    add(graph, lock(10 + 2 * pair), lock(11 + 2 * pair), evidence(1), cycle);
    findings += add(graph, lock(11 + 2 * pair), lock(10 + 2 * pair), evidence(2), cycle);
  }
  CHECK(findings == 1);
}

TEST_CASE("a cycle of read holds and read requests of reader-preferring rwlocks cannot deadlock") {
  LockOrderGraph graph;
  Cycle cycle;
  CHECK_FALSE(add(graph, lock(1), lock(2), evidence(1, LockMode::read, LockMode::read), cycle));
  CHECK_FALSE(add(graph, lock(2), lock(1), evidence(2, LockMode::read, LockMode::read), cycle));
  // A writer on one side makes it a real cycle.
  CHECK(add(graph, lock(2), lock(1), evidence(3, LockMode::exclusive, LockMode::exclusive), cycle));
  CHECK(cycle.size() == 2);
}

TEST_CASE("a read request does not wait for a read holder: that link of a cycle is broken") {
  LockOrderGraph graph;
  Cycle cycle;
  // T1 holds A for reading and wants B for writing; T2 holds B for writing and wants A for
  // reading. T2's read request is granted next to T1's read hold: no deadlock.
  CHECK_FALSE(add(graph, lock(1), lock(2), evidence(1, LockMode::read, LockMode::exclusive), cycle));
  CHECK_FALSE(add(graph, lock(2), lock(1), evidence(2, LockMode::exclusive, LockMode::read), cycle));
  // T3 wants A for writing while holding B: it waits for T1's read hold. Cycle.
  CHECK(add(graph, lock(2), lock(1), evidence(3, LockMode::exclusive, LockMode::exclusive), cycle));
}

TEST_CASE("a walk through one lock twice is no cycle; a longer cycle through each lock once is the one reported") {
  LockOrderGraph graph;
  Cycle cycle;
  const LockId x = lock(1), y = lock(2), z = lock(3), w = lock(4), v = lock(5), u = lock(6);
  // T1 holds Y, requests X for reading; T2 writes X, requests Z; T3 holds Z, requests X for
  // writing: X <-> Z is a cycle, reported.
  CHECK_FALSE(add(graph, y, x, evidence(1, LockMode::exclusive, LockMode::read), cycle));
  CHECK_FALSE(add(graph, x, z, evidence(2), cycle));
  CHECK(add(graph, z, x, evidence(3), cycle));
  SUBCASE("alone, the walk is not reported") {
    // T4 reads X and requests Y. X -> Y -> X breaks (T1's read request is granted next to
    // T4's read hold); X -> Y -> X -> Z -> X would have X read by T4 and written by T2 at once.
    CHECK_FALSE(add(graph, x, y, evidence(4, LockMode::read, LockMode::exclusive), cycle));
  }
  SUBCASE("a longer cycle through each lock once is found instead") {
    CHECK_FALSE(add(graph, y, w, evidence(5), cycle));
    CHECK_FALSE(add(graph, w, v, evidence(6), cycle));
    CHECK_FALSE(add(graph, v, u, evidence(7), cycle));
    CHECK_FALSE(add(graph, u, x, evidence(8), cycle));
    // The shortest walk through T4's new edge is X -> Y -> X -> Z -> X; the cycle is
    // X -> Y -> W -> V -> U -> X.
    REQUIRE(add(graph, x, y, evidence(4, LockMode::read, LockMode::exclusive), cycle));
    REQUIRE(cycle.size() == 5);
    const LockId order[] = {x, y, w, v, u};
    for (size_t i = 0; i < 5; ++i) CHECK(cycle[i].from == order[i]);
  }
}

TEST_CASE("the edge set grows while other threads look edges up: every edge is kept, none is made up") {
  LockOrderGraph graph;
  constexpr uint32_t kWriters = 2;
  constexpr uint32_t kEdgesPerWriter = 20000;  // the first set holds 2,048 edges: it grows 5 times
  std::atomic<bool> done{false};
  std::atomic<size_t> false_edges{0};
  std::atomic<size_t> lookups{0};
  // Writer w adds (w, i) -> (w, i + 1) for its own locks: a chain, no cycle.
  auto node = [](uint32_t writer, uint32_t i) { return lock(1 + writer * (kEdgesPerWriter + 1) + i); };
  std::vector<std::thread> threads;
  for (uint32_t w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      Cycle cycle;
      for (uint32_t i = 0; i < kEdgesPerWriter; ++i) {
        graph.add_edge(node(w, i), node(w, i + 1), evidence(w + 1), cycle);
      }
    });
  }
  for (uint32_t r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      std::mt19937 random(r);
      while (!done.load(std::memory_order_acquire)) {
        const uint32_t w = random() % kWriters;
        const uint32_t i = random() % kEdgesPerWriter;
        // The reverse of a chain edge is never added.
        if (graph.contains(node(w, i + 1), node(w, i), LockMode::exclusive, LockMode::exclusive)) ++false_edges;
        lookups.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (uint32_t w = 0; w < kWriters; ++w) threads[w].join();
  done.store(true, std::memory_order_release);
  for (size_t t = kWriters; t < threads.size(); ++t) threads[t].join();
  CHECK(false_edges.load() == 0);
  CHECK(lookups.load() > 0);
  CHECK(graph.edge_count() == kWriters * kEdgesPerWriter);
  for (uint32_t w = 0; w < kWriters; ++w) {
    for (uint32_t i = 0; i < kEdgesPerWriter; ++i) {
      REQUIRE(graph.contains(node(w, i), node(w, i + 1), LockMode::exclusive, LockMode::exclusive));
    }
  }
  CHECK(graph.check_invariants());
}

TEST_CASE("a batch of edges goes in whole, in order, or not at all when the graph is held") {
  LockOrderGraph graph;
  const EdgeOccurrence batch[] = {{{lock(1), lock(2), evidence(1)}, {}},
                                  {{lock(2), lock(3), evidence(1)}, {}},
                                  {{lock(3), lock(1), evidence(2)}, {}}};
  Cycles cycles;
  bool full = false;
  graph.lock_for_fork();  // another thread holds the graph
  CHECK_FALSE(graph.add_edges(batch, 3, false, cycles, full));
  graph.unlock_after_fork();
  CHECK(graph.edge_count() == 0);
  REQUIRE(graph.add_edges(batch, 3, false, cycles, full));
  CHECK(graph.edge_count() == 3);
  CHECK_FALSE(full);
  REQUIRE(cycles.size() == 1);  // the third closes 1 -> 2 -> 3 -> 1
  REQUIRE(cycles[0].size() == 3);
  CHECK(cycles[0][0].from == lock(3));
  CHECK(cycles[0][0].to == lock(1));
  CHECK(graph.check_invariants());
}

TEST_CASE("a stale holder in the slot of the lock it requests adds no edge, and no cycle") {
  // A lock still held after its memory was freed (id 5/1) and a new lock given the same slot
  // (5/2): one of the two ids is stale, and an edge between them would be a loop.
  LockOrderGraph graph;
  Cycle cycle;
  const LockId stale = lock(5, 1), fresh = lock(5, 2), other = lock(7);
  graph.add_edge(stale, other, evidence(9), cycle);
  CHECK(graph.add_edge(stale, fresh, evidence(3), cycle) == LockOrderGraph::AddResult::known_or_stale);
  CHECK(graph.check_invariants());
  // Read requests meeting read holds: no cycle, with or without the loop the stale pair made.
  graph.add_edge(other, fresh, evidence(2, LockMode::exclusive, LockMode::read), cycle);
  CHECK(graph.add_edge(fresh, other, evidence(1, LockMode::read, LockMode::exclusive), cycle) !=
        LockOrderGraph::AddResult::closes_new_cycle);
  CHECK(graph.check_invariants());
}

TEST_CASE("churn of edges leaves tombstones that neither grow the edge set nor fill it") {
  LockOrderGraph graph;
  Cycle cycle;
  for (uint32_t i = 0; i < 1000; ++i) graph.add_edge(lock(100000 + i), lock(200000 + i), evidence(1), cycle);
  const size_t slots = graph.edge_set_slots();
  CHECK(slots == 4096);  // 1,000 live edges: under a quarter of it
  // Short-lived locks, each nested once under a different long-lived one: each edge leaves a
  // tombstone wherever its probe chain goes on.
  for (uint32_t round = 1; round <= 200000; ++round) {
    const LockId short_lived = lock(300000 + round % 5000, round / 5000 + 1);
    graph.add_edge(lock(1 + round % 997), short_lived, evidence(2), cycle);
    graph.remove_lock(short_lived);
  }
  CHECK(graph.edge_count() == 1000);
  CHECK(graph.edge_set_slots() == slots);
  CHECK(graph.check_invariants());
}

TEST_CASE("a cycle whose edges were all met under one gate lock is no deadlock, until one is met without it") {
  LockOrderGraph graph;
  Cycle cycle;
  const LockId gate = lock(9);
  CHECK_FALSE(add(graph, lock(1), lock(2), evidence(1), cycle, {gate}));
  CHECK_FALSE(add(graph, lock(2), lock(1), evidence(2), cycle, {gate}));
  CHECK(gated(graph, lock(2), lock(1)));
  // Met again under the gate, and under the gate with more: nothing new.
  CHECK_FALSE(add(graph, lock(2), lock(1), evidence(3), cycle, {gate}));
  CHECK_FALSE(add(graph, lock(2), lock(1), evidence(4), cycle, {lock(7), gate}));
  // Thread 5 takes 2 then 1 without the gate: it and thread 1 can deadlock, and the evidence
  // of 2 -> 1 is thread 5's, not that of the gated occurrences before it.
  REQUIRE(add(graph, lock(2), lock(1), evidence(5), cycle));
  CHECK_FALSE(gated(graph, lock(2), lock(1)));
  REQUIRE(cycle.size() == 2);
  CHECK(cycle[0].from == lock(2));
  CHECK(cycle[0].evidence.thread == 5);
  CHECK(cycle[0].evidence.held_stack == 51);
  CHECK(cycle[1].evidence.thread == 1);
  CHECK(graph.check_invariants());
}

TEST_CASE("a cycle whose edges were met under different gate locks counts") {
  LockOrderGraph graph;
  Cycle cycle;
  CHECK_FALSE(add(graph, lock(1), lock(2), evidence(1), cycle, {lock(8)}));
  REQUIRE(add(graph, lock(2), lock(1), evidence(2), cycle, {lock(9)}));
  CHECK(cycle.size() == 2);
}

TEST_CASE("a thread that holds, as a gate, another edge's held lock cannot wait with it") {
  // Thread 1 holds G and A and asks for B; thread 2 holds B and asks for G. A -> B (gate G),
  // B -> G, G -> A: the 3-cycle needs thread 1 (holding G) and the holder of G waiting for A at
  // once, which cannot be; the 2-cycle G -> B, B -> G can deadlock.
  LockOrderGraph graph;
  Cycle cycle;
  const LockId g = lock(1), a = lock(2), b = lock(3);
  CHECK_FALSE(add(graph, g, a, evidence(1), cycle));
  CHECK_FALSE(add(graph, a, b, evidence(1), cycle, {g}));
  CHECK_FALSE(add(graph, g, b, evidence(1), cycle, {a}));
  REQUIRE(add(graph, b, g, evidence(2), cycle));
  REQUIRE(cycle.size() == 2);
  CHECK(cycle[0].from == b);
  CHECK(cycle[1].from == g);
  CHECK(cycle[1].to == b);
}

TEST_CASE("a cycle counts through whichever occurrences of its edges can wait at once") {
  // 1 -> 2 met under gate 7 and under gate 8 (two occurrences kept); 2 -> 1 under both: every
  // pair shares a gate. Then 2 -> 1 under gate 9: it can wait with either occurrence of 1 -> 2.
  LockOrderGraph graph;
  Cycle cycle;
  CHECK_FALSE(add(graph, lock(1), lock(2), evidence(1), cycle, {lock(7)}));
  CHECK_FALSE(add(graph, lock(1), lock(2), evidence(2), cycle, {lock(8)}));
  CHECK_FALSE(add(graph, lock(2), lock(1), evidence(3), cycle, {lock(7), lock(8)}));
  REQUIRE(add(graph, lock(2), lock(1), evidence(4), cycle, {lock(9)}));
  REQUIRE(cycle.size() == 2);
  CHECK(cycle[0].evidence.thread == 4);
  CHECK((cycle[1].evidence.thread == 1 || cycle[1].evidence.thread == 2));
  CHECK(gated(graph, lock(2), lock(1)));
  CHECK(graph.check_invariants());
}

TEST_CASE("a longer cycle counts when the shortest one is gated") {
  // 1 -> 2 and 2 -> 1 both under gate 9; 2 -> 3 -> 1 without it.
  LockOrderGraph graph;
  Cycle cycle;
  CHECK_FALSE(add(graph, lock(1), lock(2), evidence(1), cycle, {lock(9)}));
  CHECK_FALSE(add(graph, lock(2), lock(1), evidence(2), cycle, {lock(9)}));
  CHECK_FALSE(add(graph, lock(2), lock(3), evidence(3), cycle));
  REQUIRE(add(graph, lock(3), lock(1), evidence(4), cycle));
  REQUIRE(cycle.size() == 3);
  CHECK(cycle[0].from == lock(3));
  CHECK(cycle[1].from == lock(1));
  CHECK(cycle[2].from == lock(2));
  CHECK(cycle[2].to == lock(3));
}

TEST_CASE("an edge keeps one occurrence per minimal set of gates, and is taken as ungated past four") {
  LockOrderGraph graph;
  Cycle cycle;
  const LockId g1 = lock(11), g2 = lock(12), g3 = lock(13), g4 = lock(14), g5 = lock(15), h = lock(16);
  add(graph, lock(1), lock(2), evidence(1), cycle, {g1, h});
  add(graph, lock(1), lock(2), evidence(1), cycle, {g1});  // replaces {g1, h}
  add(graph, lock(1), lock(2), evidence(1), cycle, {g2});
  add(graph, lock(1), lock(2), evidence(1), cycle, {g3});
  add(graph, lock(1), lock(2), evidence(1), cycle, {g4});
  add(graph, lock(1), lock(2), evidence(1), cycle, {g2, h});   // as good as {g2}: not kept
  add(graph, lock(1), lock(2), evidence(1), cycle, {g4, g3});  // as good as {g3}
  CHECK(gated(graph, lock(1), lock(2)));                       // four kept
  add(graph, lock(1), lock(2), evidence(1), cycle, {g5});
  CHECK_FALSE(gated(graph, lock(1), lock(2)));
  CHECK(graph.contains(lock(1), lock(2), LockMode::exclusive, LockMode::exclusive));
  CHECK(graph.check_invariants());
}

TEST_CASE("a removed lock's gated edges give their occurrences back") {
  LockOrderGraph graph;
  Cycle cycle;
  for (uint32_t round = 0; round < 1000; ++round) {
    const LockId short_lived = lock(2, round + 1);
    add(graph, lock(1), short_lived, evidence(1), cycle, {lock(3)});
    add(graph, lock(1), short_lived, evidence(2), cycle, {lock(4)});
    graph.remove_lock(short_lived);
  }
  CHECK(graph.edge_count() == 0);
  CHECK(graph.gated_edge_records() == 0);
  CHECK(graph.check_invariants());
}

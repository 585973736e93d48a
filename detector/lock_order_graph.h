// LockOrderGraph: the directed graph "lock A was held while lock B was requested".
// A cycle means the program has code paths that, run by different threads at the same time,
// can deadlock, whether or not this run hung. Nodes are LockIds (registry slot + generation);
// an edge keeps the evidence of its first occurrence (thread, the stack where the held lock
// was acquired, the stack where the next lock was requested), and the modes:
// a cycle counts only if every thread in it would wait for the next (readers of a
// reader-preferring rwlock never wait for readers).
//
// A topological order of the graph (Pearce & Kelly's dynamic algorithm, as in Abseil's
// graphcycles.cc) makes the cycle search rare: an edge that agrees with the order cannot close
// a cycle, and one that does not is placed by reordering only the nodes ranked between its
// ends; only when that finds a cycle (lock modes aside) does the BFS below run, and, while
// such an edge lives, for every new edge (it may lie on any path). Programs with no inversion
// never search, however large their graph.
//
// Gate locks: an occurrence of an edge holds other locks exclusively besides `from` (its
// gates). Two threads that hold one lock cannot both be at their occurrences at once, so a
// cycle counts only when each of its edges has an occurrence such that none of them holds, as
// a gate, a lock another one holds (as a gate, or as its edge's `from`): Goodlock's condition.
// An edge met with no gates needs nothing more (its first such occurrence is its evidence);
// until then it keeps its gated occurrences, one per set of gates, each with its evidence:
// only the minimal sets (an occurrence under more locks than another is as good as that one),
// at most kMaxGatedOccurrences of them (past that, the edge is taken as ungated, which only
// lets more cycles count). A new gated occurrence (or the first ungated one) searches again
// for the cycles that it alone may close.
//
// Threading: contains() is lock-free (an open-addressed set of edge records, published with
// release stores; a record is only ever recycled as another edge) so the steady state, where
// every edge is known, never takes a lock. The set starts small and is replaced by one twice
// its size when half full (its old pages given back: a reader still in it reads empty slots
// and takes the locked path), so a small graph touches a few pages and a large one fills the
// pages it touches. add_edge() and remove_lock() take the graph's SpinLock. Cycle search is a
// BFS from the new edge's target (iterative: stack space in the host's threads may be small),
// so the cycle reported is a shortest one through the new edge. A cycle is reported once per
// distinct set of acquisition stacks (rotation-normalised): the same buggy code path run on a
// thousand object pairs is one finding, not a thousand. A cycle passes each lock once: a
// walk through a lock twice (requested for reading behind a writer, later held for reading)
// would need that lock held for reading and for writing at once, so it is no deadlock; when
// the BFS's shortest walk is one, a bounded depth-first search over simple paths replaces it.
// Each node keeps arrays of its out- and in-edges (with the other end and the order flag, so a
// search reads no edge record it does not follow); each edge knows its place in both.
// Removing a lock unlinks and recycles its edges (records are type-stable: a racing lock-free
// reader may read a recycled record, never freed memory), and the edge set's tombstones are
// cleared when they end a probe chain, so churn of short-lived locks runs in bounded memory.
// Limits: kMaxEdges live edges; the node arrays are sized like the LockRegistry. When the
// limit is reached, new edges are not recorded and add_edge() says so once.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "internal_allocator.h"
#include "lock_registry.h"
#include "spin_lock.h"
#include "stack_depot.h"

namespace lockwatch {

struct EdgeEvidence {
  LockMode held_mode;       // how `from` was held
  LockMode requested_mode;  // how `to` was requested
  uint32_t thread;
  pid_t tid;
  StackId held_stack;       // where `from` was acquired
  StackId requested_stack;  // where `to` was requested while `from` was held
};

struct CycleEdge {
  LockId from;
  LockId to;
  EdgeEvidence evidence;
};

// The locks a thread held exclusively, besides the edge's `from`, at an occurrence of an
// edge: at most kMax of them (keeping fewer only lets more cycles count).
struct EdgeGates {
  static constexpr size_t kMax = 4;
  uint32_t count;
  LockId locks[kMax];

  bool contains(LockId lock) const {
    for (uint32_t i = 0; i < count; ++i) {
      if (locks[i] == lock) return true;
    }
    return false;
  }
  void add(LockId lock) {
    if (count < kMax && !contains(lock)) locks[count++] = lock;
  }
};

// One occurrence of an edge, as a thread met it: a new edge, or one more of a known edge with
// gates.
struct EdgeOccurrence {
  CycleEdge edge;
  EdgeGates gates;
};

using Cycle = std::vector<CycleEdge, InternalStlAllocator<CycleEdge>>;
using Cycles = std::vector<Cycle, InternalStlAllocator<Cycle>>;

class LockOrderGraph {
 public:
  static constexpr size_t kMaxEdges = size_t{1} << 20;
  static constexpr size_t kMaxSimplePathSteps = size_t{1} << 20;
  static constexpr uint32_t kMaxGatedOccurrences = 4;

  LockOrderGraph();
  LockOrderGraph(const LockOrderGraph&) = delete;
  LockOrderGraph& operator=(const LockOrderGraph&) = delete;

  // Thread-safe, lock-free. Whether the edge from -> to, with these modes, is in the graph,
  // and whether it is gated (every occurrence so far held gates: a new one may count).
  enum class Lookup { absent, known, gated };
  Lookup lookup(LockId from, LockId to, LockMode held, LockMode requested) const;
  bool contains(LockId from, LockId to, LockMode held, LockMode requested) const {
    return lookup(from, to, held, requested) != Lookup::absent;
  }

  enum class AddResult { known_or_stale, added, closes_new_cycle, full };

  // Thread-safe (takes the graph lock). Adds an occurrence of from -> to with `gates`: a new
  // edge, unless an id is older than the lock now at its slot; for a known gated edge, one
  // more of its gated occurrences when no kept one has fewer gates. When that closes a cycle
  // not reported before, fills `cycle` (starting with that edge, each edge's `to` the next
  // one's `from`).
  AddResult add_edge(LockId from, LockId to, const EdgeEvidence& evidence, Cycle& cycle, const EdgeGates& gates = {});
  // Thread-safe. Adds `count` occurrences in order, each as add_edge() would, under one hold
  // of the graph lock. With `wait` false it adds none and returns false at once when another
  // thread holds the graph. The new cycles they close are appended to `cycles`; `full` is set
  // when the graph was full for one of them.
  bool add_edges(const EdgeOccurrence* occurrences, size_t count, bool wait, Cycles& cycles, bool& full);

  // Thread-safe (takes the graph lock). Drops the edges into and out of `lock`.
  void remove_lock(LockId lock);

  // Thread-safe. Live edges, the slots of the edge set that holds them, and the records of
  // gated occurrences in use (one per gated edge).
  size_t edge_count() const { return live_edges_.load(std::memory_order_relaxed); }
  size_t edge_set_slots() const;
  size_t gated_edge_records() const;

  // Thread-safe (takes the graph lock). For tests: adjacency and the edge set agree, and the
  // topological order holds for every edge kept in it.
  bool check_invariants() const;

  // fork(): see Detector::lock_for_fork.
  void lock_for_fork() { lock_.lock(); }
  void unlock_after_fork() { lock_.unlock(); }

 private:
  struct Edge;
  // One end of an edge in a node's adjacency: the edge, the node at its other end, and whether
  // the topological order keeps it. In arrays, so a search scans a node's edges in a few cache
  // lines instead of reading one edge record per neighbour.
  struct Link {
    uint32_t edge;          // index in edges_
    uint32_t other : 31;    // node index
    uint32_t ordered : 1;   // the edge is in the ordered subgraph
  };
  struct Links {
    Link* items;
    uint32_t count;
    uint32_t capacity;
  };
  struct Node {
    uint32_t generation;
    uint32_t rank;  // in the topological order; 0 until the node's first edge
    Links out;
    Links in;
  };

  // An open-addressed table of edges, by edge_hash; published whole, never changed in size.
  // A slot holds an edge's index in edges_ (plus one: 0 is an empty slot) with the top 32 bits
  // of its hash above it, so a probe passes other edges without reading their records.
  struct EdgeSet {
    std::atomic<uint64_t>* slots;
    size_t mask;  // slots - 1
  };
  static constexpr uint64_t kTagBits = 0xffffffffull << 32;
  // The tombstone that keeps probe chains whole where an edge was erased (no edge's index).
  static constexpr uint64_t kErasedSlot = 0xffffffffull;
  uint64_t slot_of(const Edge* edge, uint64_t hash) const;
  Edge* edge_in(uint64_t slot) const;  // of a slot that holds one

  static uint64_t edge_hash(LockId from, LockId to, uint8_t modes);
  static uint8_t modes_of(const EdgeEvidence& evidence);
  Edge* find_edge(LockId from, LockId to, uint8_t modes) const;
  AddResult add_edge_locked(LockId from, LockId to, const EdgeEvidence& evidence, const EdgeGates& gates, Cycle& cycle);
  // An edge and one of its occurrences: an index among its gated occurrences, or kUngated.
  struct Met {
    const Edge* edge;
    uint32_t occurrence;
  };
  static constexpr uint32_t kUngated = UINT32_MAX;
  // Under lock_: fills `cycle` with a shortest cycle through `first` whose occurrences could
  // all be waiting at once; false when there is none, or it was reported before.
  bool close_cycle(Met first, Cycle& cycle);
  // Under lock_: records an occurrence of a known edge. False when it adds nothing; else
  // `occurrence` is the index of the new gated occurrence, or kUngated when it leaves the edge
  // ungated.
  bool add_occurrence(Edge& edge, const EdgeGates& gates, const EdgeEvidence& evidence, uint32_t& occurrence);
  // The occurrences of `edge` to choose from: its gated ones, or its one ungated one.
  uint32_t occurrences_of(const Edge& edge) const;
  Met met(const Edge* edge, uint32_t index) const;
  const EdgeGates* gates_of(Met met) const;
  const EdgeEvidence& evidence_of(Met met) const;
  void drop_gated_occurrences(Edge& edge);
  // Whether the threads of `a` and `b` cannot be at their occurrences at once: one holds, as
  // a gate, a lock the other holds (as a gate, or as its edge's `from`).
  bool exclude_each_other(Met a, Met b) const;
  // Picks for each of walk[1..] one of its occurrences, so that none excludes another or
  // walk[0]'s (fixed); false when there is no such choice.
  bool choose_occurrences(std::vector<Met, InternalStlAllocator<Met>>& walk) const;
  // Under lock_: the node for `lock`, emptied first if it held an older lock; null if `lock`
  // itself is older than the node's lock.
  Node* current_node(LockId lock);
  void drop_edges_of(Node& node);
  // Under lock_: a record for a new edge (a recycled one, or the next one of edges_).
  Edge* allocate_edge();
  uint32_t index_of(const Edge* edge) const;
  // Appends `link`; returns its position. Removes the link at `position` by moving the last
  // one there (whose edge's position field `position_of` names is updated).
  static uint32_t append(Links& links, Link link);
  void remove_at(Links& links, uint32_t position, uint32_t Edge::*position_of);
  void erase_from_set(const Edge* edge);
  // Under lock_: makes room for one more edge (a set twice the size when this one is half
  // full); false when the set is at its largest and full.
  bool reserve_set_slot();
  void insert_into_set(const EdgeSet& set, Edge* edge);
  // BFS over (lock, mode it is requested in) states, through edges whose holder the request
  // waits for; fills parent_edge_/parent_state_. True when it reaches `target` requested in a
  // mode that waits for a holder in `target_held`.
  bool find_path(LockId start, LockMode start_requested, LockId target, LockMode target_held);
  // The same search from first's target back to its source, over paths that pass each lock
  // once, through occurrences none of which excludes another or `first`; depth-first, bounded
  // by the best length found and by kMaxSimplePathSteps. Fills `path` with a shortest such
  // path. For when find_path's walk passes a lock twice, or its occurrences exclude each other.
  bool find_simple_path(Met first, Cycle& path);
  bool remember_cycle(const Cycle& cycle);
  // Under lock_: keeps the topological order of the ordered edges with the new edge
  // source -> target (node indexes) in it; false when that edge closes a cycle among them,
  // lock modes aside (it then stays out of the order).
  bool keep_order(uint32_t source, uint32_t target);

  mutable SpinLock lock_;
  std::atomic<EdgeSet*> edge_set_;  // the current one; replaced ones stay mapped, emptied
  EdgeSet* spare_set_ = nullptr;    // the last one replaced
  Node* nodes_;                   // by LockId::index
  uint32_t nodes_used_ = 0;       // no node at or past this index has had an edge
  uint32_t* visit_epoch_;         // BFS marks, by state (LockId::index * 2 + mode)
  Edge** parent_edge_;            // BFS tree, by state
  uint32_t* parent_state_;        // BFS tree, by state
  uint32_t epoch_ = 0;
  uint32_t found_state_ = 0;  // where the last successful find_path ended
  std::atomic<size_t> live_edges_{0};
  size_t set_slots_in_use_ = 0;  // live edges and tombstones in the current set
  Edge* edges_;                   // every record, never freed (kMaxEdges of them at most)
  size_t edges_used_ = 0;
  Edge* free_edges_ = nullptr;    // recycled records, reused only as edges
  // The gated occurrences of gated edges, by Edge::gated - 1.
  struct GatedOccurrence {
    EdgeGates gates;
    EdgeEvidence evidence;
  };
  struct GatedOccurrences {
    GatedOccurrence* items;
    uint32_t count;
    uint32_t capacity;
  };
  GatedOccurrences* gated_;
  uint32_t gated_used_ = 0;
  std::vector<uint32_t, InternalStlAllocator<uint32_t>> free_gated_;
  std::vector<uint64_t, InternalStlAllocator<uint64_t>> reported_cycles_;
  std::vector<uint32_t, InternalStlAllocator<uint32_t>> queue_;
  // The topological order (keep_order): ranks in nodes_, marks and work lists.
  uint32_t* order_visit_;
  uint32_t order_epoch_ = 0;
  // First ranks are handed out downwards and upwards from the middle; each side has room for
  // every node index (a node keeps its rank through generations).
  uint32_t lowest_rank_ = uint32_t{1} << 31;
  uint32_t highest_rank_ = uint32_t{1} << 31;
  size_t unordered_edges_ = 0;  // edges that close a cycle, lock modes aside
  std::vector<uint32_t, InternalStlAllocator<uint32_t>> stack_;
  std::vector<uint32_t, InternalStlAllocator<uint32_t>> forward_;
  std::vector<uint32_t, InternalStlAllocator<uint32_t>> backward_;
  std::vector<uint32_t, InternalStlAllocator<uint32_t>> ranks_;
};

}  // namespace lockwatch

// Lock-order graph with lock-free edge lookups and BFS cycle search; see lock_order_graph.h.
#include "lock_order_graph.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

namespace lockwatch {

struct LockOrderGraph::Edge {
  LockId from;
  LockId to;
  uint8_t modes;
  bool ordered;  // part of the acyclic subgraph the topological order keeps
  // Its places in nodes_[from].out and nodes_[to].in, so dropping a lock's edges costs the
  // edges it has, never a walk of a neighbour's (a hub lock nests thousands of short-lived
  // locks).
  uint32_t out_position;
  uint32_t in_position;
  // While every occurrence held gates: its index in gated_ plus one; else 0, for good. Written
  // under the graph lock, read without it by lookup().
  std::atomic<uint32_t> gated;
  union {
    EdgeEvidence evidence;  // of its first occurrence (while gated), or first ungated one
    Edge* next_free;        // while recycled
  };
};

namespace {

constexpr size_t kFirstEdgeSetSlots = size_t{1} << 12;
constexpr size_t kMaxEdgeSetSlots = LockOrderGraph::kMaxEdges * 2;
constexpr size_t kStates = LockRegistry::kMaxLocks * 2;  // (lock, requested mode)
constexpr uint32_t kFirstLinksCapacity = 2;  // the smallest block the internal allocator hands out

uint32_t state_of(LockId lock, LockMode requested) { return lock.index() * 2 + static_cast<uint32_t>(requested); }

// Whether `path` (from the new edge's target back to its source `from`) visits no lock twice.
bool passes_each_lock_once(const Cycle& path, LockId from) {
  std::vector<uint64_t, InternalStlAllocator<uint64_t>> locks;
  locks.push_back(from.packed());
  for (const CycleEdge& edge : path) locks.push_back(edge.from.packed());
  std::sort(locks.begin(), locks.end());
  return std::adjacent_find(locks.begin(), locks.end()) == locks.end();
}

}  // namespace

LockOrderGraph::LockOrderGraph()
    : edge_set_(internal_new<EdgeSet>(EdgeSet{
          static_cast<std::atomic<uint64_t>*>(internal_reserve(kFirstEdgeSetSlots * sizeof(std::atomic<uint64_t>))),
          kFirstEdgeSetSlots - 1})),
      nodes_(static_cast<Node*>(internal_reserve(LockRegistry::kMaxLocks * sizeof(Node)))),
      visit_epoch_(static_cast<uint32_t*>(internal_reserve(kStates * sizeof(uint32_t)))),
      parent_edge_(static_cast<Edge**>(internal_reserve(kStates * sizeof(Edge*)))),
      parent_state_(static_cast<uint32_t*>(internal_reserve(kStates * sizeof(uint32_t)))),
      edges_(static_cast<Edge*>(internal_reserve(kMaxEdges * sizeof(Edge)))),
      gated_(static_cast<GatedOccurrences*>(internal_reserve(kMaxEdges * sizeof(GatedOccurrences)))),
      order_visit_(static_cast<uint32_t*>(internal_reserve(LockRegistry::kMaxLocks * sizeof(uint32_t)))) {}

uint8_t LockOrderGraph::modes_of(const EdgeEvidence& evidence) {
  return static_cast<uint8_t>((static_cast<unsigned>(evidence.held_mode) << 1) |
                              static_cast<unsigned>(evidence.requested_mode));
}

// By registry slots, not generations: a lock destroyed and created again at the same address
// (the same slot) puts its edges where its predecessor's were, so churn of short-lived locks
// keeps to the same pages of the set instead of touching a new one per generation.
uint64_t LockOrderGraph::edge_hash(LockId from, LockId to, uint8_t modes) {
  uint64_t h = uint64_t{from.index()} * 0x9e3779b97f4a7c15ull ^ to.index() ^ (uint64_t{modes} << 61);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 29);
}

LockOrderGraph::Edge* LockOrderGraph::find_edge(LockId from, LockId to, uint8_t modes) const {
  const EdgeSet& set = *edge_set_.load(std::memory_order_acquire);
  const uint64_t hash = edge_hash(from, to, modes);
  for (size_t i = hash & set.mask, probes = 0; probes <= set.mask; i = (i + 1) & set.mask, ++probes) {
    const uint64_t slot = set.slots[i].load(std::memory_order_acquire);
    if (slot == 0) return nullptr;
    if ((slot & kTagBits) != (hash & kTagBits) || slot == kErasedSlot) continue;
    Edge* edge = edge_in(slot);
    if (edge->from == from && edge->to == to && edge->modes == modes) return edge;
  }
  return nullptr;
}

LockOrderGraph::Lookup LockOrderGraph::lookup(LockId from, LockId to, LockMode held, LockMode requested) const {
  EdgeEvidence modes{};
  modes.held_mode = held;
  modes.requested_mode = requested;
  const Edge* edge = find_edge(from, to, modes_of(modes));
  if (edge == nullptr) return Lookup::absent;
  return edge->gated.load(std::memory_order_relaxed) != 0 ? Lookup::gated : Lookup::known;
}

LockOrderGraph::Node* LockOrderGraph::current_node(LockId lock) {
  nodes_used_ = std::max(nodes_used_, lock.index() + 1);
  Node& node = nodes_[lock.index()];
  if (node.generation == lock.generation()) return &node;
  if (node.generation > lock.generation()) return nullptr;  // a destroyed lock's id
  drop_edges_of(node);
  node.generation = lock.generation();
  return &node;
}

LockOrderGraph::AddResult LockOrderGraph::add_edge(LockId from, LockId to, const EdgeEvidence& evidence, Cycle& cycle,
                                                   const EdgeGates& gates) {
  SpinLockGuard guard(lock_);
  return add_edge_locked(from, to, evidence, gates, cycle);
}

bool LockOrderGraph::add_edges(const EdgeOccurrence* occurrences, size_t count, bool wait, Cycles& cycles, bool& full) {
  if (wait) {
    lock_.lock();
  } else if (!lock_.try_lock()) {
    return false;
  }
  SpinLockGuard guard(lock_, std::adopt_lock);
  Cycle cycle;
  for (size_t i = 0; i < count; ++i) {
    const CycleEdge& edge = occurrences[i].edge;
    switch (add_edge_locked(edge.from, edge.to, edge.evidence, occurrences[i].gates, cycle)) {
      case AddResult::closes_new_cycle:
        cycles.push_back(std::move(cycle));
        break;
      case AddResult::full:
        full = true;
        break;
      case AddResult::known_or_stale:
      case AddResult::added:
        break;
    }
  }
  return true;
}

LockOrderGraph::AddResult LockOrderGraph::add_edge_locked(LockId from, LockId to, const EdgeEvidence& evidence,
                                                          const EdgeGates& gates, Cycle& cycle) {
  // One lock (or a stale id of the lock now in the other's slot: a lock still held after its
  // memory was freed and reused) is no edge.
  if (!from.valid() || !to.valid() || from.index() == to.index()) return AddResult::known_or_stale;
  const uint8_t modes = modes_of(evidence);
  if (Edge* known = find_edge(from, to, modes)) {
    // Under other gates, or none: a cycle the kept occurrences could not close may count now.
    uint32_t occurrence = 0;
    return add_occurrence(*known, gates, evidence, occurrence) && close_cycle(met(known, occurrence), cycle)
               ? AddResult::closes_new_cycle
               : AddResult::known_or_stale;
  }
  Node* source = current_node(from);
  Node* target = current_node(to);
  if (source == nullptr || target == nullptr) return AddResult::known_or_stale;
  if (live_edges_.load(std::memory_order_relaxed) >= kMaxEdges || !reserve_set_slot()) return AddResult::full;

  Edge* edge = allocate_edge();
  edge->from = from;
  edge->to = to;
  edge->modes = modes;
  edge->ordered = false;  // not yet: keep_order() below must not walk it
  edge->evidence = evidence;
  uint32_t gated = 0;
  if (gates.count != 0) {
    if (!free_gated_.empty()) {
      gated = free_gated_.back();
      free_gated_.pop_back();
    } else {
      gated = ++gated_used_;  // at most one per live edge
    }
    GatedOccurrences& kept = gated_[gated - 1];
    kept.items = static_cast<GatedOccurrence*>(internal_allocate(sizeof(GatedOccurrence)));
    kept.items[0] = {gates, evidence};
    kept.count = kept.capacity = 1;
  }
  edge->gated.store(gated, std::memory_order_relaxed);
  edge->out_position = append(source->out, {index_of(edge), to.index(), 0});
  edge->in_position = append(target->in, {index_of(edge), from.index(), 0});
  insert_into_set(*edge_set_.load(std::memory_order_relaxed), edge);
  live_edges_.fetch_add(1, std::memory_order_relaxed);

  // A node's first rank puts it before every other as a source, after every other as a
  // target: either way the new edge agrees with the order, with nothing to reorder. (A program
  // that takes locks in address order meets most of its locks first as the lower end of a
  // pair it already holds the other of, or the other way round.)
  if (source->rank == 0) source->rank = --lowest_rank_;
  if (target->rank == 0) target->rank = ++highest_rank_;
  edge->ordered = keep_order(from.index(), to.index());
  if (edge->ordered) {
    source->out.items[edge->out_position].ordered = 1;
    target->in.items[edge->in_position].ordered = 1;
  } else {
    ++unordered_edges_;
  }
  return close_cycle(met(edge, gated != 0 ? 0 : kUngated), cycle) ? AddResult::closes_new_cycle : AddResult::added;
}

bool LockOrderGraph::close_cycle(Met first, Cycle& cycle) {
  const Edge& edge = *first.edge;
  // The whole graph acyclic, lock modes aside: no cycle at all, nothing to search.
  if (unordered_edges_ == 0) return false;
  if (!find_path(edge.to, edge.evidence.requested_mode, edge.from, edge.evidence.held_mode)) return false;
  std::vector<Met, InternalStlAllocator<Met>> walk{first};
  for (uint32_t state = found_state_; state != state_of(edge.to, edge.evidence.requested_mode);) {
    walk.push_back(met(parent_edge_[state], 0));
    state = parent_state_[state];
  }
  const bool at_once = choose_occurrences(walk);
  Cycle path;
  for (size_t i = walk.size(); i-- > 1;) path.push_back({walk[i].edge->from, walk[i].edge->to, evidence_of(walk[i])});
  if ((!at_once || !passes_each_lock_once(path, edge.from)) && !find_simple_path(first, path)) return false;
  cycle.clear();
  cycle.push_back({edge.from, edge.to, evidence_of(first)});
  cycle.insert(cycle.end(), path.begin(), path.end());
  return remember_cycle(cycle);
}

bool LockOrderGraph::choose_occurrences(std::vector<Met, InternalStlAllocator<Met>>& walk) const {
  // Depth-first over the choices. Nearly always one per edge: edges with gates are few, with
  // several sets of gates fewer still.
  std::vector<uint32_t, InternalStlAllocator<uint32_t>> next(walk.size(), 0);  // to try at each step
  size_t i = 1;
  for (size_t steps = 0; i > 0 && steps < kMaxSimplePathSteps; ++steps) {
    if (i == walk.size()) return true;
    if (next[i] == occurrences_of(*walk[i].edge)) {
      next[i--] = 0;  // none fits: the step before tries its next
      continue;
    }
    walk[i] = met(walk[i].edge, next[i]++);
    const Met chosen = walk[i];
    if (std::none_of(walk.begin(), walk.begin() + static_cast<std::ptrdiff_t>(i),
                     [&](const Met& before) { return exclude_each_other(before, chosen); })) {
      ++i;
    }
  }
  return false;
}

uint32_t LockOrderGraph::occurrences_of(const Edge& edge) const {
  const uint32_t gated = edge.gated.load(std::memory_order_relaxed);
  return gated == 0 ? 1 : gated_[gated - 1].count;
}

LockOrderGraph::Met LockOrderGraph::met(const Edge* edge, uint32_t index) const {
  return {edge, edge->gated.load(std::memory_order_relaxed) == 0 ? kUngated : index};
}

const EdgeGates* LockOrderGraph::gates_of(Met met) const {
  if (met.occurrence == kUngated) return nullptr;
  return &gated_[met.edge->gated.load(std::memory_order_relaxed) - 1].items[met.occurrence].gates;
}

const EdgeEvidence& LockOrderGraph::evidence_of(Met met) const {
  if (met.occurrence == kUngated) return met.edge->evidence;
  return gated_[met.edge->gated.load(std::memory_order_relaxed) - 1].items[met.occurrence].evidence;
}

bool LockOrderGraph::add_occurrence(Edge& edge, const EdgeGates& gates, const EdgeEvidence& evidence,
                                    uint32_t& occurrence) {
  const uint32_t gated = edge.gated.load(std::memory_order_relaxed);
  if (gated == 0) return false;
  GatedOccurrences& kept = gated_[gated - 1];
  auto within = [](const EdgeGates& fewer, const EdgeGates& more) {
    for (uint32_t i = 0; i < fewer.count; ++i) {
      if (!more.contains(fewer.locks[i])) return false;
    }
    return true;
  };
  for (uint32_t i = 0; i < kept.count; ++i) {
    if (within(kept.items[i].gates, gates)) return false;  // as good as one kept
  }
  // Those under more locks than this one go: this one is as good as each of them.
  uint32_t left = 0;
  for (uint32_t i = 0; i < kept.count; ++i) {
    if (!within(gates, kept.items[i].gates)) kept.items[left++] = kept.items[i];
  }
  kept.count = left;
  if (gates.count == 0 || kept.count == kMaxGatedOccurrences) {
    drop_gated_occurrences(edge);
    edge.evidence = evidence;
    occurrence = kUngated;
    return true;
  }
  if (kept.count == kept.capacity) {
    const uint32_t capacity = kept.capacity * 2;
    auto* items = static_cast<GatedOccurrence*>(internal_allocate(capacity * sizeof(GatedOccurrence)));
    std::copy(kept.items, kept.items + kept.count, items);
    internal_free(kept.items, kept.capacity * sizeof(GatedOccurrence));
    kept.items = items;
    kept.capacity = capacity;
  }
  kept.items[kept.count] = {gates, evidence};
  occurrence = kept.count++;
  return true;
}

void LockOrderGraph::drop_gated_occurrences(Edge& edge) {
  const uint32_t gated = edge.gated.load(std::memory_order_relaxed);
  if (gated == 0) return;
  GatedOccurrences& kept = gated_[gated - 1];
  internal_free(kept.items, kept.capacity * sizeof(GatedOccurrence));
  kept = GatedOccurrences{};
  edge.gated.store(0, std::memory_order_relaxed);
  free_gated_.push_back(gated);
}

bool LockOrderGraph::exclude_each_other(Met a, Met b) const {
  const EdgeGates* a_gates = gates_of(a);
  const EdgeGates* b_gates = gates_of(b);
  auto holds_lock_of = [](const EdgeGates* gates, const Edge& other, const EdgeGates* other_gates) {
    if (gates == nullptr) return false;
    if (gates->contains(other.from)) return true;
    if (other_gates == nullptr) return false;
    for (uint32_t i = 0; i < other_gates->count; ++i) {
      if (gates->contains(other_gates->locks[i])) return true;
    }
    return false;
  };
  return holds_lock_of(a_gates, *b.edge, b_gates) || holds_lock_of(b_gates, *a.edge, a_gates);
}

bool LockOrderGraph::find_path(LockId start, LockMode start_requested, LockId target, LockMode target_held) {
  if (++epoch_ == 0) {
    std::fill_n(visit_epoch_, kStates, 0u);
    epoch_ = 1;
  }
  queue_.clear();
  const uint32_t first = state_of(start, start_requested);
  queue_.push_back(first);
  visit_epoch_[first] = epoch_;
  for (size_t head = 0; head < queue_.size(); ++head) {
    const uint32_t state = queue_[head];
    const LockMode requested = static_cast<LockMode>(state & 1);
    const Links& out = nodes_[state / 2].out;
    for (uint32_t i = 0; i < out.count; ++i) {
      Edge* edge = &edges_[out.items[i].edge];
      // The thread of `edge` holds this lock: the request before waits for it only if the
      // modes conflict.
      if (!modes_conflict(requested, edge->evidence.held_mode)) continue;
      const uint32_t next = state_of(edge->to, edge->evidence.requested_mode);
      if (visit_epoch_[next] == epoch_) continue;
      visit_epoch_[next] = epoch_;
      parent_edge_[next] = edge;
      parent_state_[next] = state;
      if (edge->to == target && modes_conflict(edge->evidence.requested_mode, target_held)) {
        found_state_ = next;
        return true;
      }
      queue_.push_back(next);
    }
  }
  return false;
}

bool LockOrderGraph::find_simple_path(Met first, Cycle& path) {
  // visit_epoch_[lock * 2] marks the locks on the current path (and both ends), under a fresh
  // epoch; a frame is a lock on the path, the occurrence of the edge into it, and the next of
  // its out-edges (and of that edge's occurrences) to try.
  if (++epoch_ == 0) {
    std::fill_n(visit_epoch_, kStates, 0u);
    epoch_ = 1;
  }
  struct Frame {
    Met via;  // the edge into this lock, as met (`first` for the start)
    const Links* out;
    uint32_t next;        // the next of its out-edges to try
    uint32_t occurrence;  // and the next occurrence of that edge
  };
  const Edge& start = *first.edge;
  std::vector<Frame, InternalStlAllocator<Frame>> stack;
  Cycle best;
  visit_epoch_[state_of(start.to, LockMode::exclusive)] = epoch_;
  visit_epoch_[state_of(start.from, LockMode::exclusive)] = epoch_;
  stack.push_back({first, &nodes_[start.to.index()].out, 0, 0});
  for (size_t steps = 0; !stack.empty() && steps < kMaxSimplePathSteps; ++steps) {
    Frame& top = stack.back();
    if (top.next == top.out->count) {
      if (stack.size() > 1) visit_epoch_[state_of(top.via.edge->to, LockMode::exclusive)] = 0;
      stack.pop_back();
      continue;
    }
    const Edge* edge = &edges_[top.out->items[top.next].edge];
    if (top.occurrence >= occurrences_of(*edge)) {
      ++top.next;
      top.occurrence = 0;
      continue;
    }
    const Met candidate = met(edge, top.occurrence++);
    const size_t length = stack.size();  // edges on the path once `edge` is taken
    if (!modes_conflict(top.via.edge->evidence.requested_mode, edge->evidence.held_mode) ||
        (!best.empty() && length >= best.size())) {
      top.occurrence = UINT32_MAX;  // nor any other occurrence of it
      continue;
    }
    if (edge->to != start.from && visit_epoch_[state_of(edge->to, LockMode::exclusive)] == epoch_) {
      top.occurrence = UINT32_MAX;
      continue;
    }
    if (std::any_of(stack.begin(), stack.end(),
                    [&](const Frame& on_path) { return exclude_each_other(on_path.via, candidate); })) {
      continue;
    }
    if (edge->to == start.from) {
      if (!modes_conflict(edge->evidence.requested_mode, start.evidence.held_mode)) continue;
      best.clear();
      for (size_t i = 1; i < stack.size(); ++i) {
        const Met& via = stack[i].via;
        best.push_back({via.edge->from, via.edge->to, evidence_of(via)});
      }
      best.push_back({edge->from, edge->to, evidence_of(candidate)});
      continue;
    }
    visit_epoch_[state_of(edge->to, LockMode::exclusive)] = epoch_;
    stack.push_back({candidate, &nodes_[edge->to.index()].out, 0, 0});
  }
  if (best.empty()) return false;
  path = std::move(best);
  return true;
}

bool LockOrderGraph::remember_cycle(const Cycle& cycle) {
  // Named by the acquisition stacks of its edges (the code paths), or by the locks where a
  // stack is missing, and rotation-normalised so the same cycle entered from another edge has
  // the same signature.
  auto edge_key = [](const CycleEdge& edge) {
    const EdgeEvidence& e = edge.evidence;
    if (e.held_stack == kNoStack || e.requested_stack == kNoStack) return edge.from.packed() ^ (edge.to.packed() << 1);
    return (uint64_t{e.held_stack} << 32) | e.requested_stack;
  };
  size_t first = 0;
  for (size_t i = 1; i < cycle.size(); ++i) {
    if (edge_key(cycle[i]) < edge_key(cycle[first])) first = i;
  }
  uint64_t signature = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < cycle.size(); ++i) {
    signature ^= edge_key(cycle[(first + i) % cycle.size()]);
    signature *= 0x100000001b3ull;
  }
  if (std::find(reported_cycles_.begin(), reported_cycles_.end(), signature) != reported_cycles_.end()) return false;
  reported_cycles_.push_back(signature);
  return true;
}

void LockOrderGraph::remove_lock(LockId lock) {
  if (!lock.valid()) return;
  SpinLockGuard guard(lock_);
  Node& node = nodes_[lock.index()];
  if (node.generation > lock.generation()) return;
  drop_edges_of(node);
  // Ids of this lock (and older ones at its index) are stale from now on: an edge of theirs
  // that arrives late (a thread's pending edges) is dropped. The registry gives the next lock
  // at this index a later generation.
  const uint32_t dead = lock.generation() + 1;
  node.generation = dead == 0 ? 1 : dead;
}

void LockOrderGraph::drop_edges_of(Node& node) {
  auto recycle = [this](Edge* edge) {
    if (!edge->ordered) --unordered_edges_;
    drop_gated_occurrences(*edge);
    erase_from_set(edge);
    live_edges_.fetch_sub(1, std::memory_order_relaxed);
    edge->next_free = free_edges_;
    free_edges_ = edge;
  };
  // The other ends are other nodes (no edge is a loop), so these arrays stay as they are.
  for (uint32_t i = 0; i < node.out.count; ++i) {
    Edge* edge = &edges_[node.out.items[i].edge];
    remove_at(nodes_[edge->to.index()].in, edge->in_position, &Edge::in_position);
    recycle(edge);
  }
  for (uint32_t i = 0; i < node.in.count; ++i) {
    Edge* edge = &edges_[node.in.items[i].edge];
    remove_at(nodes_[edge->from.index()].out, edge->out_position, &Edge::out_position);
    recycle(edge);
  }
  // A hub lock's arrays go back with it.
  for (Links* links : {&node.out, &node.in}) {
    internal_free(links->items, links->capacity * sizeof(Link));
    *links = Links{};
  }
}

LockOrderGraph::Edge* LockOrderGraph::allocate_edge() {
  if (Edge* edge = free_edges_) {
    free_edges_ = edge->next_free;
    return edge;
  }
  // Callers keep live edges under kMaxEdges and recycled records are used first.
  return new (&edges_[edges_used_++]) Edge{};
}

uint32_t LockOrderGraph::index_of(const Edge* edge) const {
  return static_cast<uint32_t>(edge - edges_);
}

uint64_t LockOrderGraph::slot_of(const Edge* edge, uint64_t hash) const {
  return (hash & kTagBits) | (index_of(edge) + 1);
}

LockOrderGraph::Edge* LockOrderGraph::edge_in(uint64_t slot) const {
  return &edges_[(slot & ~kTagBits) - 1];
}

uint32_t LockOrderGraph::append(Links& links, Link link) {
  if (links.count == links.capacity) {
    const uint32_t capacity = links.capacity == 0 ? kFirstLinksCapacity : links.capacity * 2;
    auto* items = static_cast<Link*>(internal_allocate(capacity * sizeof(Link)));
    if (links.count > 0) std::memcpy(static_cast<void*>(items), links.items, links.count * sizeof(Link));
    internal_free(links.items, links.capacity * sizeof(Link));
    links.items = items;
    links.capacity = capacity;
  }
  links.items[links.count] = link;
  return links.count++;
}

void LockOrderGraph::remove_at(Links& links, uint32_t position, uint32_t Edge::*position_of) {
  const Link last = links.items[--links.count];
  if (position == links.count) return;
  links.items[position] = last;
  edges_[last.edge].*position_of = position;
}

bool LockOrderGraph::keep_order(uint32_t source, uint32_t target) {
  const uint32_t lower = nodes_[target].rank;
  const uint32_t upper = nodes_[source].rank;
  if (upper < lower) return true;  // the order has source before target already
  if (++order_epoch_ == 0) {
    std::fill_n(order_visit_, LockRegistry::kMaxLocks, 0u);
    order_epoch_ = 1;
  }
  // Forward from target, among nodes ranked up to source's: reaching source is a cycle.
  forward_.clear();
  stack_.assign(1, target);
  order_visit_[target] = order_epoch_;
  while (!stack_.empty()) {
    const uint32_t at = stack_.back();
    stack_.pop_back();
    forward_.push_back(at);
    const Links& out = nodes_[at].out;
    for (uint32_t i = 0; i < out.count; ++i) {
      const uint32_t next = out.items[i].other;
      if (!out.items[i].ordered || order_visit_[next] == order_epoch_ || nodes_[next].rank > upper) continue;
      if (next == source) return false;
      order_visit_[next] = order_epoch_;
      stack_.push_back(next);
    }
  }
  // Backward from source, among nodes ranked from target's up.
  backward_.clear();
  stack_.assign(1, source);
  order_visit_[source] = order_epoch_;
  while (!stack_.empty()) {
    const uint32_t at = stack_.back();
    stack_.pop_back();
    backward_.push_back(at);
    const Links& in = nodes_[at].in;
    for (uint32_t i = 0; i < in.count; ++i) {
      const uint32_t previous = in.items[i].other;
      if (!in.items[i].ordered || order_visit_[previous] == order_epoch_ || nodes_[previous].rank < lower) continue;
      order_visit_[previous] = order_epoch_;
      stack_.push_back(previous);
    }
  }
  // The backward set goes first, then the forward set, each in its old order, into the ranks
  // both held (Pearce & Kelly).
  auto by_rank = [this](uint32_t a, uint32_t b) { return nodes_[a].rank < nodes_[b].rank; };
  std::sort(backward_.begin(), backward_.end(), by_rank);
  std::sort(forward_.begin(), forward_.end(), by_rank);
  ranks_.clear();
  for (uint32_t node : backward_) ranks_.push_back(nodes_[node].rank);
  for (uint32_t node : forward_) ranks_.push_back(nodes_[node].rank);
  std::sort(ranks_.begin(), ranks_.end());
  size_t next = 0;
  for (uint32_t node : backward_) nodes_[node].rank = ranks_[next++];
  for (uint32_t node : forward_) nodes_[node].rank = ranks_[next++];
  return true;
}

bool LockOrderGraph::reserve_set_slot() {
  EdgeSet* set = edge_set_.load(std::memory_order_relaxed);
  const size_t slots = set->mask + 1;
  const size_t limit = slots == kMaxEdgeSetSlots ? slots / 4 * 3 : slots / 2;
  if (set_slots_in_use_ < limit) return true;
  // Live edges and tombstones fill it: a set without the tombstones, twice the size when the
  // live edges alone fill a quarter of it (half the limit), else of the same size (churn of short-lived locks
  // leaves tombstones behind, and must neither grow the set nor fill the largest one).
  const size_t live = live_edges_.load(std::memory_order_relaxed);
  if (slots == kMaxEdgeSetSlots && live + 1 >= limit) return false;
  const size_t wanted = slots < kMaxEdgeSetSlots && live >= limit / 2 ? 2 * slots : slots;
  // Readers may still be probing `set`: it is emptied, never unmapped, and kept to be used
  // again by the next set of its size (a reader still in it then reads other live edges, and
  // checks each against what it looks for), so rebuilding never takes more address space.
  EdgeSet* next = spare_set_ != nullptr && spare_set_->mask + 1 == wanted ? spare_set_ : nullptr;
  if (next == nullptr) {
    next = internal_new<EdgeSet>(EdgeSet{
        static_cast<std::atomic<uint64_t>*>(internal_reserve(wanted * sizeof(std::atomic<uint64_t>))), wanted - 1});
  }
  // Written before it is read: a page read first is mapped to the zero page, and the write
  // that follows replaces it with a fault that interrupts every CPU (a TLB shootdown). At a
  // quarter full every page of it holds edges anyway. (Atomic stores: a reader may be in it.)
  for (size_t i = 0; i < wanted; ++i) next->slots[i].store(0, std::memory_order_relaxed);
  set_slots_in_use_ = 0;
  for (size_t i = 0; i < slots; ++i) {
    const uint64_t slot = set->slots[i].load(std::memory_order_relaxed);
    if (slot != 0 && slot != kErasedSlot) insert_into_set(*next, edge_in(slot));
  }
  edge_set_.store(next, std::memory_order_release);
  internal_discard(set->slots, slots * sizeof(std::atomic<uint64_t>));
  spare_set_ = set;
  return true;
}

size_t LockOrderGraph::edge_set_slots() const {
  SpinLockGuard guard(lock_);
  return edge_set_.load(std::memory_order_relaxed)->mask + 1;
}

size_t LockOrderGraph::gated_edge_records() const {
  SpinLockGuard guard(lock_);
  return gated_used_ - free_gated_.size();
}

void LockOrderGraph::insert_into_set(const EdgeSet& set, Edge* edge) {
  const uint64_t hash = edge_hash(edge->from, edge->to, edge->modes);
  for (size_t i = hash & set.mask;; i = (i + 1) & set.mask) {
    const uint64_t occupant = set.slots[i].load(std::memory_order_relaxed);
    if (occupant == 0 || occupant == kErasedSlot) {
      if (occupant == 0) ++set_slots_in_use_;
      set.slots[i].store(slot_of(edge, hash), std::memory_order_release);
      return;
    }
  }
}

void LockOrderGraph::erase_from_set(const Edge* edge) {
  const EdgeSet& set = *edge_set_.load(std::memory_order_relaxed);
  const uint64_t hash = edge_hash(edge->from, edge->to, edge->modes);
  const uint64_t slot = slot_of(edge, hash);
  size_t i = hash & set.mask;
  while (set.slots[i].load(std::memory_order_relaxed) != slot) i = (i + 1) & set.mask;
  set.slots[i].store(kErasedSlot, std::memory_order_release);
  // A tombstone that ends its probe chain guards nothing: clear it, and those before it.
  if (set.slots[(i + 1) & set.mask].load(std::memory_order_relaxed) != 0) return;
  while (set.slots[i].load(std::memory_order_relaxed) == kErasedSlot) {
    set.slots[i].store(0, std::memory_order_release);
    --set_slots_in_use_;
    i = (i - 1) & set.mask;
  }
}

bool LockOrderGraph::check_invariants() const {
  SpinLockGuard guard(lock_);
  size_t live = 0;
  size_t unordered = 0;
  size_t gated_edges = 0;
  const EdgeSet& set = *edge_set_.load(std::memory_order_relaxed);
  for (size_t i = 0; i <= set.mask; ++i) {
    const uint64_t slot = set.slots[i].load(std::memory_order_relaxed);
    if (slot == 0 || slot == kErasedSlot) continue;
    const Edge* edge = edge_in(slot);
    // Edges of a lock go when it does, and no edge is a loop.
    const Node& source = nodes_[edge->from.index()];
    if (source.generation != edge->from.generation() || edge->from.index() == edge->to.index()) return false;
    if (nodes_[edge->to.index()].generation != edge->to.generation()) return false;
    // Both ends list it where it says, with the other end and its order flag.
    const Node& target = nodes_[edge->to.index()];
    if (edge->out_position >= source.out.count || edge->in_position >= target.in.count) return false;
    const Link& out = source.out.items[edge->out_position];
    const Link& in = target.in.items[edge->in_position];
    if (out.edge != index_of(edge) || out.other != edge->to.index() || out.ordered != edge->ordered) return false;
    if (in.edge != index_of(edge) || in.other != edge->from.index() || in.ordered != edge->ordered) return false;
    // The topological order holds for every ordered edge.
    if (edge->ordered && source.rank >= nodes_[edge->to.index()].rank) return false;
    unordered += edge->ordered ? 0 : 1;
    ++live;
    // A gated edge keeps one to kMaxGatedOccurrences occurrences, each under some gate.
    if (const uint32_t gated = edge->gated.load(std::memory_order_relaxed)) {
      const GatedOccurrences& kept = gated_[gated - 1];
      if (kept.count == 0 || kept.count > kMaxGatedOccurrences) return false;
      if (std::any_of(kept.items, kept.items + kept.count,
                      [](const GatedOccurrence& occurrence) { return occurrence.gates.count == 0; })) {
        return false;
      }
      ++gated_edges;
    }
  }
  size_t links = 0;
  for (uint32_t index = 0; index < nodes_used_; ++index) {
    links += nodes_[index].out.count + nodes_[index].in.count;
  }
  return live == live_edges_.load(std::memory_order_relaxed) && unordered == unordered_edges_ && links == 2 * live &&
         gated_edges == gated_used_ - free_gated_.size();
}

}  // namespace lockwatch

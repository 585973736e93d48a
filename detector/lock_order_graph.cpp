// Lock-order graph with lock-free edge lookups and BFS cycle search; see lock_order_graph.h.
#include "lock_order_graph.h"

#include <algorithm>

namespace lockwatch {

struct LockOrderGraph::Edge {
  LockId from;
  LockId to;
  EdgeEvidence evidence;
  Edge* next_out;
  Edge* next_in;
  bool dead;
};

namespace {
constexpr size_t kEdgeSetSlots = LockOrderGraph::kMaxEdges * 2;
}  // namespace

LockOrderGraph::LockOrderGraph()
    : edge_set_(static_cast<std::atomic<Edge*>*>(internal_reserve(kEdgeSetSlots * sizeof(std::atomic<Edge*>)))),
      nodes_(static_cast<Node*>(internal_reserve(LockRegistry::kCapacity * sizeof(Node)))),
      visit_epoch_(static_cast<uint32_t*>(internal_reserve(LockRegistry::kCapacity * sizeof(uint32_t)))),
      parent_edge_(static_cast<Edge**>(internal_reserve(LockRegistry::kCapacity * sizeof(Edge*)))) {}

uint64_t LockOrderGraph::edge_hash(LockId from, LockId to) {
  uint64_t h = from.packed() * 0x9e3779b97f4a7c15ull ^ to.packed();
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 29);
}

LockOrderGraph::Edge* LockOrderGraph::find_edge(LockId from, LockId to) const {
  for (size_t i = edge_hash(from, to) % kEdgeSetSlots, probes = 0; probes < kEdgeSetSlots;
       i = (i + 1) % kEdgeSetSlots, ++probes) {
    Edge* edge = edge_set_[i].load(std::memory_order_acquire);
    if (edge == nullptr) return nullptr;
    if (edge->from == from && edge->to == to) return edge;
  }
  return nullptr;
}

bool LockOrderGraph::contains(LockId from, LockId to) const {
  return find_edge(from, to) != nullptr;
}

bool LockOrderGraph::add_edge(LockId from, LockId to, const EdgeEvidence& evidence, Cycle& cycle) {
  if (!from.valid() || !to.valid() || from == to) return false;
  SpinLockGuard guard(lock_);
  if (find_edge(from, to) != nullptr || stored_edges_ >= kMaxEdges) return false;
  Node& source = nodes_[from.index()];
  Node& target = nodes_[to.index()];
  // A node whose generation moved on belongs to a destroyed lock: its edges are dead.
  if (source.generation != from.generation()) source = Node{from.generation(), nullptr, nullptr};
  if (target.generation != to.generation()) target = Node{to.generation(), nullptr, nullptr};

  auto* edge = internal_new<Edge>();
  edge->from = from;
  edge->to = to;
  edge->evidence = evidence;
  edge->next_out = source.out;
  edge->next_in = target.in;
  source.out = edge;
  target.in = edge;
  for (size_t i = edge_hash(from, to) % kEdgeSetSlots;; i = (i + 1) % kEdgeSetSlots) {
    if (edge_set_[i].load(std::memory_order_relaxed) == nullptr) {
      edge_set_[i].store(edge, std::memory_order_release);
      break;
    }
  }
  ++stored_edges_;
  live_edges_.fetch_add(1, std::memory_order_relaxed);

  if (!find_path(to, from)) return false;
  cycle.clear();
  cycle.push_back({from, to, evidence});
  Cycle path;
  for (LockId at = from; !(at == to);) {
    const Edge* step = parent_edge_[at.index()];
    path.push_back({step->from, step->to, step->evidence});
    at = step->from;
  }
  std::reverse(path.begin(), path.end());
  cycle.insert(cycle.end(), path.begin(), path.end());
  return remember_cycle(cycle);
}

bool LockOrderGraph::find_path(LockId start, LockId target) {
  if (++epoch_ == 0) {
    std::fill_n(visit_epoch_, LockRegistry::kCapacity, 0u);
    epoch_ = 1;
  }
  queue_.clear();
  queue_.push_back(start.index());
  visit_epoch_[start.index()] = epoch_;
  for (size_t head = 0; head < queue_.size(); ++head) {
    const Node& node = nodes_[queue_[head]];
    for (Edge* edge = node.out; edge != nullptr; edge = edge->next_out) {
      if (edge->dead || nodes_[edge->to.index()].generation != edge->to.generation()) continue;
      if (visit_epoch_[edge->to.index()] == epoch_) continue;
      visit_epoch_[edge->to.index()] = epoch_;
      parent_edge_[edge->to.index()] = edge;
      if (edge->to == target) return true;
      queue_.push_back(edge->to.index());
    }
  }
  return false;
}

bool LockOrderGraph::remember_cycle(const Cycle& cycle) {
  // Rotation-normalised: start at the smallest lock, so the same cycle found from another
  // edge has the same signature.
  size_t first = 0;
  for (size_t i = 1; i < cycle.size(); ++i) {
    if (cycle[i].from.packed() < cycle[first].from.packed()) first = i;
  }
  uint64_t signature = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < cycle.size(); ++i) {
    signature ^= cycle[(first + i) % cycle.size()].from.packed();
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
  if (node.generation != lock.generation()) return;
  for (Edge* edge = node.out; edge != nullptr; edge = edge->next_out) {
    if (!edge->dead) live_edges_.fetch_sub(1, std::memory_order_relaxed);
    edge->dead = true;
  }
  for (Edge* edge = node.in; edge != nullptr; edge = edge->next_in) {
    if (!edge->dead) live_edges_.fetch_sub(1, std::memory_order_relaxed);
    edge->dead = true;
  }
  node = Node{0, nullptr, nullptr};
}

bool LockOrderGraph::check_invariants() {
  SpinLockGuard guard(lock_);
  size_t live = 0;
  for (size_t i = 0; i < kEdgeSetSlots; ++i) {
    const Edge* edge = edge_set_[i].load(std::memory_order_relaxed);
    if (edge == nullptr || edge->dead) continue;
    const Node& source = nodes_[edge->from.index()];
    if (source.generation != edge->from.generation()) continue;
    bool listed = false;
    for (const Edge* e = source.out; e != nullptr; e = e->next_out) listed |= (e == edge);
    if (!listed) return false;
    ++live;
  }
  return live == live_edges_.load(std::memory_order_relaxed);
}

}  // namespace lockwatch

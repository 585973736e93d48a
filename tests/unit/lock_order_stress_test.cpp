// Randomized stress test of lock-order analysis: lock-acquisition programs generated from a seed
// (simulated threads nesting mutexes, recursive mutexes and rwlocks, try-locks, timed locks,
// destroys; with and without injected inversions) run through the Detector API, and every
// finding checked against a brute-force model of the cycles the README promises. A failure
// names its seed; LOCKWATCH_STRESS_SEED=N reruns that seed alone.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "detector.h"
#include "internal_allocator.h"
#include "recording_sink.h"

using namespace lockwatch;

namespace {

// The model. An edge is "a thread held `from` (in `held` mode) and requested `to` (in
// `requested` mode)"; like the graph, one edge per (from, to, modes). An occurrence of it
// also holds gates: the locks held exclusively besides `from` (a lock as (index,
// generation): a lock destroyed and used again is another lock; no rwlock, whose read holds
// may order like writes). An edge first met without
// gates has that occurrence's thread as evidence; one met with gates keeps its occurrences
// with minimal sets of gates, each with its thread, until one without gates (or a fifth set,
// LockOrderGraph::kMaxGatedOccurrences) comes. A cycle is elementary (each lock once), every
// request in it waits for the next edge's hold (only a read request meeting a read hold does
// not: reader-preferring rwlocks), and its edges have occurrences none of which holds, as a
// gate, a lock another holds (as a gate, or as `from`). Cycles made by one thread count
// (README: Limits). The detector reports, when an edge is added or gets an occurrence it
// keeps, a shortest cycle through that occurrence, unless a cycle with the same acquisition
// stacks was reported before; here every (lock, mode) is requested from a call site of its
// own, so those stacks name exactly the edges' locks and modes, and a repeat comes from a
// lock destroyed and used again, or from another occurrence of the same edges.
using Gate = std::pair<size_t, uint32_t>;  // lock, generation

struct Edge {  // an occurrence, or the key of an edge
  size_t from;
  size_t to;
  LockMode held;
  LockMode requested;
  uint32_t thread = 0;
  std::set<Gate> gates = {};
  uint32_t from_generation = 0;
  auto key() const { return std::tuple(from, to, held, requested); }
};

bool exclude_each_other(const Edge& a, const Edge& b) {
  auto holds_lock_of = [](const Edge& gated, const Edge& other) {
    if (gated.gates.count({other.from, other.from_generation}) != 0) return true;
    return std::any_of(other.gates.begin(), other.gates.end(),
                       [&](const Gate& g) { return gated.gates.count(g) != 0; });
  };
  return holds_lock_of(a, b) || holds_lock_of(b, a);
}

// (lock, mode): the call site, hence the stack, of a request.
using Site = std::pair<size_t, LockMode>;
// The edges of a cycle as site pairs, rotated to start at the smallest: what the detector's
// signature tells apart.
using Signature = std::vector<std::pair<Site, Site>>;

Signature signature_of(const std::vector<Edge>& cycle) {
  Signature pairs;
  for (const Edge& edge : cycle) pairs.push_back({{edge.from, edge.held}, {edge.to, edge.requested}});
  std::rotate(pairs.begin(), std::min_element(pairs.begin(), pairs.end()), pairs.end());
  return pairs;
}

struct KnownEdge {
  Edge ungated;             // the first occurrence without gates (only the key while gated)
  std::vector<Edge> gated;  // while every occurrence held gates, the kept ones
  const std::vector<Edge> occurrences() const { return gated.empty() ? std::vector<Edge>{ungated} : gated; }
};

class Model {
 public:
  const KnownEdge* find(const Edge& edge) const {
    auto found =
        std::find_if(edges_.begin(), edges_.end(), [&](const KnownEdge& e) { return e.ungated.key() == edge.key(); });
    return found == edges_.end() ? nullptr : &*found;
  }
  // An occurrence of an edge: true when it is kept (as the new edge's, one more gated one, or
  // the first without gates), with `kept` the occurrence as kept.
  bool add(const Edge& occurrence, Edge& kept) {
    auto known = std::find_if(edges_.begin(), edges_.end(),
                              [&](const KnownEdge& e) { return e.ungated.key() == occurrence.key(); });
    kept = occurrence;
    if (known == edges_.end()) {
      edges_.push_back({occurrence, {}});
      if (!occurrence.gates.empty()) edges_.back().gated.push_back(occurrence);
      return true;
    }
    std::vector<Edge>& gated = known->gated;
    if (gated.empty()) return false;
    auto within = [](const std::set<Gate>& fewer, const std::set<Gate>& more) {
      return std::includes(more.begin(), more.end(), fewer.begin(), fewer.end());
    };
    if (std::any_of(gated.begin(), gated.end(), [&](const Edge& e) { return within(e.gates, occurrence.gates); })) {
      return false;
    }
    std::erase_if(gated, [&](const Edge& e) { return within(occurrence.gates, e.gates); });
    if (occurrence.gates.empty() || gated.size() == LockOrderGraph::kMaxGatedOccurrences) {
      gated.clear();
      known->ungated = occurrence;
      kept.gates.clear();
      return true;
    }
    gated.push_back(occurrence);
    return true;
  }
  void remove_lock(size_t lock) {
    std::erase_if(edges_, [lock](const KnownEdge& e) { return e.ungated.from == lock || e.ungated.to == lock; });
  }
  const std::vector<KnownEdge>& edges() const { return edges_; }

  // Every elementary cycle through the occurrence `first`, each starting with it, as
  // occurrences (depth-first over simple paths: the programs are small); also, when asked,
  // those whose occurrences exclude each other (`ignore_gates`).
  std::vector<std::vector<Edge>> cycles_through(const Edge& first, bool ignore_gates = false) const {
    std::vector<std::vector<Edge>> cycles;
    std::vector<Edge> path{first};
    std::vector<bool> visited(64, false);
    visited[first.from] = visited[first.to] = true;
    extend(path, visited, ignore_gates, cycles);
    return cycles;
  }

 private:
  void extend(std::vector<Edge>& path, std::vector<bool>& visited, bool ignore_gates,
              std::vector<std::vector<Edge>>& cycles) const {
    const Edge last = path.back();  // a copy: the recursion below grows `path`
    for (const KnownEdge& known : edges_) {
      const Edge& next_edge = known.ungated;
      if (next_edge.from != last.to || !modes_conflict(last.requested, next_edge.held)) continue;
      if (next_edge.to != path.front().from && visited[next_edge.to]) continue;
      for (const Edge& next : known.occurrences()) {
        if (!ignore_gates &&
            std::any_of(path.begin(), path.end(), [&](const Edge& e) { return exclude_each_other(e, next); })) {
          continue;
        }
        if (next.to == path.front().from) {
          if (modes_conflict(next.requested, path.front().held)) {
            cycles.push_back(path);
            cycles.back().push_back(next);
          }
          continue;
        }
        visited[next.to] = true;
        path.push_back(next);
        extend(path, visited, ignore_gates, cycles);
        path.pop_back();
        visited[next.to] = false;
      }
    }
  }

  std::vector<KnownEdge> edges_;
};

// Requests from one call site per (lock, mode): request_from<S> is where the detector sees the
// call come from (the return address into it), so each site has its own acquisition stack.
constexpr size_t kMaxLocks = 6;
constexpr size_t kSites = kMaxLocks * 2;
volatile size_t last_site;

__attribute__((noinline)) void request_here(Detector& detector, ThreadState& thread, const Acquisition& request) {
  detector.on_lock_requested(thread, request, LOCKWATCH_CALL_SITE());
}

template <size_t S>
__attribute__((noinline)) void request_from(Detector& detector, ThreadState& thread, const Acquisition& request) {
  request_here(detector, thread, request);
  last_site = S;  // code of its own per site: never folded into another, never a tail call
}

using RequestFunction = void (*)(Detector&, ThreadState&, const Acquisition&);
template <size_t... S>
constexpr std::array<RequestFunction, kSites> request_functions(std::index_sequence<S...>) {
  return {&request_from<S>...};
}
constexpr std::array<RequestFunction, kSites> kRequestFrom = request_functions(std::make_index_sequence<kSites>());

struct ThreadStateDeleter {
  void operator()(ThreadState* state) const { internal_free(state, sizeof(ThreadState)); }
};

enum class Kind { mutex, recursive_mutex, rwlock };

struct Held {
  size_t lock;
  LockMode mode;
};

struct SimulatedThread {
  std::unique_ptr<ThreadState, ThreadStateDeleter> state;
  std::vector<Held> held;  // in acquisition order, as the detector keeps them
};

// Tallies over all seeds, so the test can tell it exercised what it claims.
struct Tally {
  size_t reported = 0;     // cycles reported, each checked
  size_t mode_broken = 0;  // new edges that closed a lock-level cycle only read-read breaks
  size_t gated = 0;        // edges that closed only cycles whose edges' gates exclude each other
  size_t several_gated = 0;      // occurrences kept beside another gated one of their edge
  size_t later_occurrences = 0;  // occurrences kept of known edges (gated, or the first without gates)
  size_t repeats = 0;      // new edges whose shortest cycle repeats a reported one
  size_t cycle_lengths[8] = {};
};

class StressRun {
 public:
  StressRun(uint64_t seed, Tally& tally) : random_(seed), tally_(tally) {
    locks_ = 2 + random_() % (kMaxLocks - 1);
    inversion_percent_ = seed % 2 == 0 ? 0 : std::array{5, 15, 40}[random_() % 3];
    for (size_t i = 0; i < locks_; ++i) {
      const unsigned roll = random_() % 100;
      kinds_.push_back(roll < 45 ? Kind::mutex : roll < 60 ? Kind::recursive_mutex : Kind::rwlock);
      rank_.push_back(i);
    }
    std::shuffle(rank_.begin(), rank_.end(), random_);
    const size_t thread_count = 2 + random_() % 3;
    for (size_t t = 0; t < thread_count; ++t) {
      SimulatedThread thread;
      thread.state.reset(static_cast<ThreadState*>(internal_allocate(sizeof(ThreadState))));
      detector_.attach_thread(*thread.state, static_cast<pid_t>(1000 + t), 0x7000 + t);
      threads_.push_back(std::move(thread));
    }
  }

  // Empty when the detector agreed with the model throughout; else the first disagreement.
  std::string run() {
    const size_t steps = 100 + random_() % 300;
    for (size_t step = 0; step < steps && error_.empty(); ++step) {
      if (random_() % 100 < 3) {
        destroy(random_() % locks_);
      } else {
        act(random_() % threads_.size());
      }
    }
    for (size_t t = 0; t < threads_.size() && error_.empty(); ++t) {
      while (!threads_[t].held.empty()) release(t, threads_[t].held.size() - 1);
    }
    if (error_.empty()) check_final_graph();
    return error_;
  }

 private:
  uintptr_t address(size_t lock) const { return 0x10000 + lock * 64; }
  LockKind kind_of(size_t lock) const {
    switch (kinds_[lock]) {
      case Kind::recursive_mutex:
        return LockKind::recursive_mutex;
      case Kind::rwlock:
        return LockKind::rwlock;
      case Kind::mutex:
        break;
    }
    return LockKind::mutex;
  }

  bool holds(size_t t, size_t lock, LockMode* mode = nullptr) const {
    for (const Held& held : threads_[t].held) {
      if (held.lock != lock) continue;
      if (mode != nullptr) *mode = held.mode;
      return true;
    }
    return false;
  }
  // Whether another thread's hold makes thread t's request wait (a real run would block).
  bool taken_by_others(size_t t, size_t lock, LockMode mode) const {
    for (size_t other = 0; other < threads_.size(); ++other) {
      LockMode held_mode;
      if (other != t && holds(other, lock, &held_mode) && modes_conflict(mode, held_mode)) return true;
    }
    return false;
  }

  void act(size_t t) {
    SimulatedThread& thread = threads_[t];
    if (!thread.held.empty() && (random_() % 100 < 40 || thread.held.size() >= 5)) {
      // Mostly the innermost lock; sometimes one further out.
      release(t, random_() % 100 < 70 ? thread.held.size() - 1 : random_() % thread.held.size());
      return;
    }
    const size_t lock = random_() % locks_;
    const LockMode mode = kinds_[lock] == Kind::rwlock && random_() % 2 == 0 ? LockMode::read : LockMode::exclusive;
    LockMode own_mode;
    if (holds(t, lock, &own_mode)) {
      // Re-entry that cannot wait: a recursive mutex, or a read lock over a read lock.
      const bool reentrant =
          kinds_[lock] == Kind::recursive_mutex || (own_mode == LockMode::read && mode == LockMode::read);
      if (reentrant && !taken_by_others(t, lock, mode)) acquire(t, lock, mode, /*blocking=*/true, true);
      return;
    }
    const bool in_order = std::all_of(thread.held.begin(), thread.held.end(),
                                      [&](const Held& held) { return rank_[held.lock] < rank_[lock]; });
    if (!in_order && static_cast<int>(random_() % 100) >= inversion_percent_) return;
    const unsigned how = random_() % 100;
    const bool busy = taken_by_others(t, lock, mode);
    if (how < 15) {  // try-lock: fails when another thread has it
      if (busy) {
        request(t, lock, mode, /*blocking=*/false, false);
      } else {
        acquire(t, lock, mode, /*blocking=*/false, false);
      }
    } else if (!busy) {  // a blocking lock, timed or not (when busy, the thread waits)
      acquire(t, lock, mode, /*blocking=*/true, /*waits_forever=*/how >= 25);
    }
  }

  void request(size_t t, size_t lock, LockMode mode, bool blocking, bool waits_forever) {
    ThreadState& state = *threads_[t].state;
    const size_t findings_before = sink_.findings.size();
    const Acquisition acquisition{address(lock), kind_of(lock), mode, blocking, waits_forever};
    kRequestFrom[lock * 2 + static_cast<size_t>(mode)](detector_, state, acquisition);
    note_stack({lock, mode}, state.held[state.held_count].acquired_at);

    // The edges this request meets, in the detector's order: one from each held lock, none
    // for a try-lock (it cannot wait) or a lock the thread already holds (it does not wait).
    std::vector<Edge> met;
    if (blocking && !holds(t, lock)) {
      for (const Held& held : threads_[t].held) {
        Edge edge{held.lock, lock, held.mode, mode, state.number, {}, generation_[held.lock]};
        for (const Held& other : threads_[t].held) {
          if (other.lock != held.lock && other.mode == LockMode::exclusive && kinds_[other.lock] != Kind::rwlock) {
            edge.gates.insert({other.lock, generation_[other.lock]});
          }
        }
        met.push_back(edge);
      }
    }
    check_findings(met, findings_before);
  }

  void acquire(size_t t, size_t lock, LockMode mode, bool blocking, bool waits_forever) {
    request(t, lock, mode, blocking, waits_forever);
    detector_.on_lock_acquired(*threads_[t].state, address(lock));
    threads_[t].held.push_back({lock, mode});
  }

  void release(size_t t, size_t index) {
    std::vector<Held>& held = threads_[t].held;
    const size_t lock = held[index].lock;
    // The detector releases the innermost entry of a lock held more than once.
    size_t innermost = held.size();
    while (held[--innermost].lock != lock) {
    }
    held.erase(held.begin() + static_cast<std::ptrdiff_t>(innermost));
    if (!detector_.on_lock_released(*threads_[t].state, address(lock))) fail("release of a held lock refused");
  }

  void destroy(size_t lock) {
    for (size_t t = 0; t < threads_.size(); ++t) {
      if (holds(t, lock)) return;  // destroying a held lock is a misuse, not this test's subject
    }
    detector_.on_lock_destroyed(*threads_[0].state, address(lock), LOCKWATCH_CALL_SITE());
    model_.remove_lock(lock);
    ++generation_[lock];
  }

  void note_stack(Site site, StackId stack) {
    auto [known, inserted] = stacks_.emplace(site, stack);
    if (!inserted && known->second != stack) fail("one call site gave two acquisition stacks");
    for (const auto& [other, other_stack] : stacks_) {
      if (other != site && other_stack == stack) fail("two call sites share an acquisition stack");
    }
  }

  // The detector met the edges of `met` in this order; the findings after `first_finding` must
  // be exactly the cycles the model expects as each edge joins it or gets an occurrence it
  // keeps, in the same order.
  void check_findings(const std::vector<Edge>& met, size_t first_finding) {
    Model& graph = model_;
    size_t next = first_finding;
    for (const Edge& occurrence : met) {
      const bool known = graph.find(occurrence) != nullptr;
      Edge edge;
      if (!graph.add(occurrence, edge)) continue;
      if (known) ++tally_.later_occurrences;
      if (graph.find(occurrence)->gated.size() > 1) ++tally_.several_gated;
      const std::vector<std::vector<Edge>> cycles = graph.cycles_through(edge);
      size_t shortest = SIZE_MAX;
      for (const auto& cycle : cycles) shortest = std::min(shortest, cycle.size());
      bool repeat = false;
      for (const auto& cycle : cycles) repeat |= cycle.size() == shortest && reported_.count(signature_of(cycle)) > 0;

      // The next finding is this edge's if it is a cycle of the graph through the edge.
      std::vector<Edge> reported;
      if (next < sink_.findings.size() && translate(sink_.findings[next], reported) &&
          std::all_of(reported.begin(), reported.end(), [&](const Edge& e) { return graph.find(e) != nullptr; }) &&
          std::any_of(reported.begin(), reported.end(), [&](const Edge& e) { return e.key() == edge.key(); })) {
        ++next;
        check_reported_cycle(reported, cycles, shortest);
      } else if (shortest != SIZE_MAX && !repeat) {
        fail(describe("missed the cycle", cycles.front()));
      }
      if (!error_.empty()) return;
      if (shortest != SIZE_MAX && repeat) ++tally_.repeats;
      if (shortest == SIZE_MAX && !graph.cycles_through(edge, true).empty()) {
        ++tally_.gated;
      } else if (shortest == SIZE_MAX && closes_lock_cycle(graph, edge)) {
        ++tally_.mode_broken;
      }
    }
    if (next < sink_.findings.size()) {
      std::vector<Edge> invented;
      translate(sink_.findings[next], invented);
      fail(describe("reported a cycle not in the graph", invented));
    }
  }

  // `cycle` as reported, `expected` the model's cycles through the new occurrence.
  void check_reported_cycle(const std::vector<Edge>& cycle, const std::vector<std::vector<Edge>>& expected,
                            size_t shortest) {
    if (shortest == SIZE_MAX) return fail(describe("invented a cycle", cycle));
    std::set<size_t> locks;
    for (size_t i = 0; i < cycle.size(); ++i) {
      const Edge& edge = cycle[i];
      const Edge& after = cycle[(i + 1) % cycle.size()];
      locks.insert(edge.from);
      if (edge.to != after.from) return fail(describe("reported a broken chain", cycle));
      if (!modes_conflict(edge.requested, after.held)) return fail(describe("reported a read-read link", cycle));
    }
    // Its threads are those of occurrences that make a cycle.
    auto occurrences = [](const std::vector<Edge>& edges) {
      std::vector<std::tuple<size_t, size_t, LockMode, LockMode, uint32_t>> keys;
      for (const Edge& e : edges) keys.push_back(std::tuple_cat(e.key(), std::tuple(e.thread)));
      std::sort(keys.begin(), keys.end());
      return keys;
    };
    if (std::none_of(expected.begin(), expected.end(),
                     [&](const std::vector<Edge>& e) { return occurrences(e) == occurrences(cycle); })) {
      return fail(describe("named threads whose occurrences make no cycle", cycle));
    }
    if (locks.size() != cycle.size()) return fail(describe("reported a cycle through one lock twice", cycle));
    if (cycle.size() != shortest) return fail(describe("reported a cycle longer than the shortest", cycle));
    if (!reported_.insert(signature_of(cycle)).second) return fail(describe("reported a cycle twice", cycle));
    ++tally_.reported;
    ++tally_.cycle_lengths[std::min<size_t>(cycle.size(), 7)];
  }

  // A lock-level cycle through `edge`, modes ignored.
  static bool closes_lock_cycle(const Model& graph, const Edge& edge) {
    std::vector<size_t> frontier{edge.to};
    std::set<size_t> seen{edge.to};
    while (!frontier.empty()) {
      const size_t lock = frontier.back();
      frontier.pop_back();
      for (const KnownEdge& known : graph.edges()) {
        const Edge& e = known.ungated;
        if (e.from != lock) continue;
        if (e.to == edge.from) return true;
        if (seen.insert(e.to).second) frontier.push_back(e.to);
      }
    }
    return false;
  }

  // The finding's cycle as model edges, with stacks checked against the call sites.
  bool translate(const Finding& finding, std::vector<Edge>& cycle) {
    if (finding.kind != "lock_order_inversion" || finding.cycle.size() < 2) return false;
    for (const FindingEdge& edge : finding.cycle) {
      if (edge.from >= finding.locks.size() || edge.to >= finding.locks.size()) return false;
      const uintptr_t from = finding.locks[edge.from].address;
      const uintptr_t to = finding.locks[edge.to].address;
      if (from < address(0) || to < address(0) || (from - address(0)) % 64 != 0 || (to - address(0)) % 64 != 0) {
        return false;
      }
      const Edge e{(from - address(0)) / 64, (to - address(0)) / 64, edge.from_mode, edge.to_mode, edge.thread};
      if (e.from >= locks_ || e.to >= locks_) return false;
      if (stacks_[{e.from, e.held}] != edge.held_stack || stacks_[{e.to, e.requested}] != edge.requested_stack) {
        fail(describe("gave an edge stacks of other call sites", {e}));
        return false;
      }
      cycle.push_back(e);
    }
    return true;
  }

  void check_final_graph() {
    if (!detector_.graph().check_invariants()) return fail("the graph's invariants do not hold");
    if (detector_.graph().edge_count() != model_.edges().size()) {
      return fail("the graph holds " + std::to_string(detector_.graph().edge_count()) + " edges, the model " +
                  std::to_string(model_.edges().size()));
    }
    for (const KnownEdge& known : model_.edges()) {
      const Edge& edge = known.ungated;
      const LockId from = detector_.locks().find(address(edge.from));
      const LockId to = detector_.locks().find(address(edge.to));
      if (!detector_.graph().contains(from, to, edge.held, edge.requested)) {
        return fail(describe("lost an edge", {edge}));
      }
    }
  }

  // Stacks of the call site alone (the return address into request_from<S>), whatever path
  // of this test led there.
  static Options one_frame_stacks() {
    Options options;
    options.stack_depth = 1;
    return options;
  }

  std::string describe(const std::string& what, const std::vector<Edge>& cycle) const {
    std::ostringstream text;
    text << what << ":";
    for (const Edge& edge : cycle) {
      text << " L" << edge.from << (edge.held == LockMode::read ? "(r)" : "(x)") << "->L" << edge.to
           << (edge.requested == LockMode::read ? "(r)" : "(x)") << " by T" << edge.thread;
      if (const KnownEdge* known = model_.find(edge); known != nullptr && !known->gated.empty()) {
        text << " (met under";
        for (const Edge& occurrence : known->gated) {
          text << " {";
          for (const Gate& gate : occurrence.gates) text << " L" << gate.first << "#" << gate.second;
          text << " } by T" << occurrence.thread;
        }
        text << ")";
      }
      text << ";";
    }
    return text.str();
  }
  void fail(const std::string& what) {
    if (error_.empty()) error_ = what;
  }

  std::mt19937_64 random_;
  Tally& tally_;
  size_t locks_;
  int inversion_percent_;
  std::vector<Kind> kinds_;
  std::vector<size_t> rank_;  // the global order that threads follow unless an inversion is injected
  std::vector<uint32_t> generation_ = std::vector<uint32_t>(kMaxLocks, 1);  // a destroyed lock's next use is another
  Options options_ = one_frame_stacks();
  RecordingSink sink_;
  Detector detector_{options_, sink_};
  std::vector<SimulatedThread> threads_;
  Model model_;
  std::map<Site, StackId> stacks_;
  std::set<Signature> reported_;
  std::string error_;
};

}  // namespace

TEST_CASE("random lock programs: the detector reports exactly the cycles of the model, across 500 seeds") {
  uint64_t first = 1;
  uint64_t count = 500;
  if (const char* only = std::getenv("LOCKWATCH_STRESS_SEED")) {
    first = std::strtoull(only, nullptr, 10);
    count = 1;
  }
  Tally tally;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    const std::string error = StressRun(seed, tally).run();
    CHECK_MESSAGE(error.empty(), "seed " << seed << " (rerun: LOCKWATCH_STRESS_SEED=" << seed << "): " << error);
  }
  MESSAGE("cycles reported " << tally.reported << ", read-read broken " << tally.mode_broken << ", gated "
                             << tally.gated << ", later occurrences kept " << tally.later_occurrences
                             << " (beside gated ones " << tally.several_gated << "), repeats " << tally.repeats
                             << ", lengths 2.." << tally.cycle_lengths[2] << "/" << tally.cycle_lengths[3] << "/"
                             << tally.cycle_lengths[4] << "/" << tally.cycle_lengths[5] << "+"
                             << tally.cycle_lengths[6] + tally.cycle_lengths[7]);
  if (count > 1) {
    // The programs must exercise what they claim: cycles of several lengths, links that only
    // read-read breaks, cycles that only gates break, later occurrences of known edges kept
    // (under other gates, or none), and cycles repeated after a destroy.
    CHECK(tally.reported > 200);
    CHECK(tally.cycle_lengths[3] > 0);
    CHECK(tally.mode_broken > 0);
    CHECK(tally.gated > 0);
    CHECK(tally.later_occurrences > 0);
    CHECK(tally.several_gated > 0);
    CHECK(tally.repeats > 0);
  }
}

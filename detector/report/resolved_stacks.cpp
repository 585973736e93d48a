// Symbolizes the stacks a finding names; see resolved_stacks.h.
#include "report/resolved_stacks.h"

namespace lockwatch {

ResolvedStacks::ResolvedStacks(const Finding& finding, const StackDepot& depot, Symbolizer& symbolizer) {
  for (const FindingLock& lock : finding.locks) resolve(lock.first_use, depot, symbolizer);
  for (const FindingEdge& edge : finding.cycle) {
    resolve(edge.held_stack, depot, symbolizer);
    resolve(edge.requested_stack, depot, symbolizer);
  }
  resolve(finding.stack, depot, symbolizer);
  for (const FindingRelated& related : finding.related) resolve(related.stack, depot, symbolizer);
  resolve(finding.dump, depot, symbolizer);
}

ResolvedStacks::ResolvedStacks(const std::vector<FindingThreadDump>& threads, const StackDepot& depot,
                               Symbolizer& symbolizer) {
  resolve(threads, depot, symbolizer);
}

ResolvedStacks::ResolvedStacks(const std::vector<StackId>& ids, const StackDepot& depot, Symbolizer& symbolizer) {
  for (StackId id : ids) resolve(id, depot, symbolizer);
}

void ResolvedStacks::resolve(const std::vector<FindingThreadDump>& threads, const StackDepot& depot,
                             Symbolizer& symbolizer) {
  for (const FindingThreadDump& thread : threads) {
    resolve(thread.stack, depot, symbolizer);
    for (const FindingHeldLock& held : thread.held) resolve(held.acquired_at, depot, symbolizer);
  }
}

void ResolvedStacks::resolve(StackId id, const StackDepot& depot, Symbolizer& symbolizer) {
  if (id == kNoStack || frames_.count(id) != 0) return;
  std::vector<SymbolizedFrame>& frames = frames_[id];
  for (uintptr_t pc : depot.get(id)) frames.push_back(symbolizer.symbolize(pc));
}

const std::vector<SymbolizedFrame>& ResolvedStacks::frames(StackId id) const {
  static const std::vector<SymbolizedFrame> kEmpty;
  auto found = frames_.find(id);
  return found == frames_.end() ? kEmpty : found->second;
}

}  // namespace lockwatch

namespace lockwatch {

std::vector<const std::vector<SymbolizedFrame>*> ResolvedStacks::all() const {
  std::vector<const std::vector<SymbolizedFrame>*> stacks;
  for (const auto& [id, frames] : frames_) stacks.push_back(&frames);
  return stacks;
}

}  // namespace lockwatch

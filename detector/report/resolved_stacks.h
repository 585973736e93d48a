// ResolvedStacks: the symbolized frames of every stack one finding refers to, resolved once
// and shared by the fingerprint, the JSON record and the text report.
#pragma once

#include <unordered_map>
#include <vector>

#include "finding.h"
#include "report/symbolizer.h"
#include "stack_depot.h"

namespace lockwatch {

class ResolvedStacks {
 public:
  ResolvedStacks(const Finding& finding, const StackDepot& depot, Symbolizer& symbolizer);
  ResolvedStacks(const std::vector<FindingThreadDump>& threads, const StackDepot& depot, Symbolizer& symbolizer);
  ResolvedStacks(const std::vector<StackId>& ids, const StackDepot& depot, Symbolizer& symbolizer);
  // Empty for kNoStack.
  const std::vector<SymbolizedFrame>& frames(StackId id) const;
  // Every stack of the finding.
  std::vector<const std::vector<SymbolizedFrame>*> all() const;

 private:
  void resolve(StackId id, const StackDepot& depot, Symbolizer& symbolizer);
  void resolve(const std::vector<FindingThreadDump>& threads, const StackDepot& depot, Symbolizer& symbolizer);
  std::unordered_map<StackId, std::vector<SymbolizedFrame>> frames_;
};

}  // namespace lockwatch

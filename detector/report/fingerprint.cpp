// Site-based, rotation-normalised finding fingerprints; see fingerprint.h.
#include "report/fingerprint.h"

#include <fmt/format.h>

#include <algorithm>

namespace lockwatch {
namespace {

constexpr size_t kFramesPerSite = 4;

// A call's line counted from the first line of its function: it tells apart two calls in one
// function, and stays the same when code elsewhere in the file moves. Empty when unknown.
std::string line_in_function(int line, int function_line) {
  if (line <= 0 || function_line <= 0 || line < function_line) return {};
  return fmt::format("+{}", line - function_line);
}

std::string module_name(const std::string& module) {
  const size_t slash = module.rfind('/');
  return slash == std::string::npos ? module : module.substr(slash + 1);
}

// A site: its first frames, each as its module's file name, its function (or its offset) with
// the line in it, and the calls inlined there likewise. Never an address, nor a line counted
// from the top of the file.
std::string site_signature(const std::vector<SymbolizedFrame>& frames) {
  std::string signature;
  for (size_t i = 0; i < frames.size() && i < kFramesPerSite; ++i) {
    const SymbolizedFrame& frame = frames[i];
    signature += module_name(frame.module) + ':';
    if (!frame.function.empty()) {
      signature += frame.function + line_in_function(frame.line, frame.function_line);
    } else {
      signature += fmt::format("+{:x}", frame.offset);
    }
    for (const InlinedFrame& call : frame.inlined) {
      signature += '<' + call.function + line_in_function(call.line, call.function_line);
    }
    signature += ';';
  }
  return signature;
}

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace

std::string fingerprint(const Finding& finding, const ResolvedStacks& stacks) {
  std::vector<std::string> edges;
  for (const FindingEdge& edge : finding.cycle) {
    edges.push_back(site_signature(stacks.frames(edge.held_stack)) + "->" +
                    site_signature(stacks.frames(edge.requested_stack)));
  }
  if (!edges.empty()) {
    auto smallest = std::min_element(edges.begin(), edges.end());
    std::rotate(edges.begin(), smallest, edges.end());
  }
  std::string text = finding.kind + "/" + finding.subkind;
  for (const std::string& edge : edges) text += "|" + edge;
  if (finding.stack != kNoStack) text += "|" + site_signature(stacks.frames(finding.stack));
  // A stall is its blocked site and where the owners took the lock.
  if (finding.kind == "stall") {
    for (const FindingRelated& related : finding.related) text += "|" + site_signature(stacks.frames(related.stack));
  }
  // A deadlock through joins or condvars, or a hang: the set of sites the threads are at.
  if (edges.empty() && (finding.kind == "deadlock" || finding.kind == "hang")) {
    std::vector<std::string> sites;
    for (const FindingThreadDump& thread : finding.dump) sites.push_back(site_signature(stacks.frames(thread.stack)));
    std::sort(sites.begin(), sites.end());
    for (const std::string& site : sites) text += "|" + site;
  }
  return fmt::format("{:016x}", fnv1a(text));
}

}  // namespace lockwatch

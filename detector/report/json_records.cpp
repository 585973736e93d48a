// nlohmann-json builders for the report records; see json_records.h and SPEC.md.
#include "report/json_records.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace lockwatch {
namespace {

using nlohmann::json;

// rwlocks are held for reading or writing; every other lock exclusively.
const char* mode_name(LockMode mode, LockKind kind) {
  if (mode == LockMode::read) return "read";
  return kind == LockKind::rwlock ? "write" : "exclusive";
}

std::string hex(uintptr_t value) {
  return fmt::format("0x{:x}", value);
}


json thread_dump_json(const std::vector<FindingThreadDump>& threads, const ResolvedStacks& stacks) {
  json out = json::array();
  for (const FindingThreadDump& thread : threads) {
    json entry = {{"id", thread.number}, {"tid", thread.tid}, {"state", thread.state}};
    if (thread.object != 0) {
      json waits = {{"what", thread.state}, {"address", hex(thread.object)}, {"timed", thread.timed},
                    {"blocked_ms", thread.blocked_ms}};
      if (thread.joins != 0) waits["thread"] = thread.joins;
      entry["waits"] = std::move(waits);
    }
    entry["stack"] = frames_json(stacks.frames(thread.stack));
    entry["stack_source"] = thread.stack_source;
    json held = json::array();
    for (const FindingHeldLock& lock : thread.held) {
      held.push_back({{"address", hex(lock.address)},
                      {"kind", lock_kind_name(lock.kind)},
                      {"mode", mode_name(lock.mode, lock.kind)},
                      {"held_ms", lock.held_ms},
                      {"acquired_at", frames_json(stacks.frames(lock.acquired_at))}});
    }
    entry["held"] = std::move(held);
    out.push_back(std::move(entry));
  }
  return out;
}

std::string line(const json& record) {
  // Replace, never throw, on invalid UTF-8 (paths and argv are bytes).
  return record.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

nlohmann::json frames_json(const std::vector<SymbolizedFrame>& frames) {
  nlohmann::json out = nlohmann::json::array();
  for (const SymbolizedFrame& frame : frames) {
    nlohmann::json f = {{"pc", hex(frame.pc)}, {"module", frame.module}, {"offset", hex(frame.offset)}};
    if (!frame.build_id.empty()) f["build_id"] = frame.build_id;
    if (!frame.function.empty()) f["function"] = frame.function;
    if (!frame.file.empty()) {
      f["file"] = frame.file;
      f["line"] = frame.line;
    }
    if (!frame.inlined.empty()) {
      nlohmann::json inlined = nlohmann::json::array();
      for (const InlinedFrame& call : frame.inlined) {
        nlohmann::json entry = {{"function", call.function}};
        if (!call.file.empty()) {
          entry["file"] = call.file;
          entry["line"] = call.line;
        }
        inlined.push_back(std::move(entry));
      }
      f["inlined"] = std::move(inlined);
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string start_record(const ProcessInfo& process, const Options& options) {
  json option_values = json::object();
  // As a user would write them in LOCKWATCH_OPTIONS: every value a string.
  for (const auto& [key, value] : options.describe()) option_values[key] = value;
  return line({{"type", "start"},
               {"version", kLockwatchVersion},
               {"pid", process.pid},
               {"ppid", process.ppid},
               {"exe", process.exe},
               {"argv", process.argv},
               {"time", utc_timestamp()},
               {"options", option_values}});
}

std::string finding_record(const Finding& finding, const ResolvedStacks& stacks, const std::string& fingerprint,
                           const std::string& message) {
  json threads = json::array();
  for (const FindingThread& thread : finding.threads) threads.push_back({{"id", thread.number}, {"tid", thread.tid}});
  json locks = json::array();
  for (size_t i = 0; i < finding.locks.size(); ++i) {
    const FindingLock& lock = finding.locks[i];
    locks.push_back({{"id", i + 1},
                     {"address", hex(lock.address)},
                     {"kind", lock_kind_name(lock.kind)},
                     {"first_use", frames_json(stacks.frames(lock.first_use))}});
  }
  json record = {{"type", "finding"},
                 {"kind", finding.kind},
                 {"severity", finding.severity == Severity::error ? "error" : "warning"},
                 {"fingerprint", fingerprint},
                 {"message", message},
                 {"time", utc_timestamp()},
                 {"threads", threads},
                 {"locks", locks}};
  if (!finding.subkind.empty()) record["subkind"] = finding.subkind;
  if (finding.stack != kNoStack) {
    record["thread"] = finding.thread;
    record["stack"] = frames_json(stacks.frames(finding.stack));
  }
  if (!finding.related.empty()) {
    json related = json::array();
    for (const FindingRelated& evidence : finding.related) {
      related.push_back(
          {{"what", evidence.what}, {"thread", evidence.thread}, {"stack", frames_json(stacks.frames(evidence.stack))}});
    }
    record["related"] = std::move(related);
  }
  if (!finding.cycle.empty()) {
    json cycle = json::array();
    for (const FindingEdge& edge : finding.cycle) {
      cycle.push_back({{"from", edge.from + 1},
                       {"to", edge.to + 1},
                       {"from_mode", mode_name(edge.from_mode, finding.locks[edge.from].kind)},
                       {"to_mode", mode_name(edge.to_mode, finding.locks[edge.to].kind)},
                       {"thread", edge.thread},
                       {"held_stack", frames_json(stacks.frames(edge.held_stack))},
                       {"requested_stack", frames_json(stacks.frames(edge.requested_stack))}});
    }
    record["cycle"] = std::move(cycle);
  }
  if (finding.kind == "stall" || finding.kind == "hang") record["blocked_ms"] = finding.duration_ms;
  if (finding.kind == "long_hold") record["held_ms"] = finding.duration_ms;
  if (!finding.dump.empty()) record["thread_dump"] = thread_dump_json(finding.dump, stacks);
  return line(record);
}

std::string dump_record(const std::vector<FindingThreadDump>& threads, const ResolvedStacks& stacks) {
  return line({{"type", "dump"}, {"time", utc_timestamp()}, {"threads", thread_dump_json(threads, stacks)}});
}

std::string long_hold_end_record(const std::string& fingerprint, const Finding& finding, uint64_t held_ms) {
  return line({{"type", "long_hold_end"},
               {"fingerprint", fingerprint},
               {"thread", finding.thread},
               {"lock", hex(finding.locks.empty() ? 0 : finding.locks[0].address)},
               {"held_ms", held_ms},
               {"time", utc_timestamp()}});
}

std::string end_record(int exit_status, const std::map<std::string, size_t>& counts,
                       const std::map<std::string, size_t>& suppressed, size_t errors) {
  json findings = json::object();
  for (const auto& [kind, count] : counts) findings[kind] = count;
  json suppressed_findings = json::object();
  for (const auto& [kind, count] : suppressed) suppressed_findings[kind] = count;
  return line({{"type", "end"},
               {"exit_status", exit_status},
               {"findings", findings},
               {"suppressed", suppressed_findings},
               {"errors", errors},
               {"time", utc_timestamp()}});
}

}  // namespace lockwatch

// Human renderings of finding records; see finding_text.h.
#include "finding_text.h"

namespace lockwatch::cli {
namespace {

using nlohmann::json;

long long number_field(const json& object, const char* key, long long fallback) {
  if (!object.is_object()) return fallback;
  const auto found = object.find(key);
  return found != object.end() && found->is_number_integer() ? found->get<long long>() : fallback;
}

bool is_system_file(const std::string& file) {
  return file.rfind("/usr/", 0) == 0 || file.rfind("./", 0) == 0 || file.rfind("../", 0) == 0;
}

// Each frame's inlined calls (innermost first), then the frame itself.
std::vector<const json*> flattened(const json& stack) {
  std::vector<const json*> frames;
  if (!stack.is_array()) return frames;
  for (const json& frame : stack) {
    if (!frame.is_object()) continue;
    if (frame.contains("inlined") && frame["inlined"].is_array()) {
      for (const json& call : frame["inlined"]) {
        if (call.is_object()) frames.push_back(&call);
      }
    }
    frames.push_back(&frame);
  }
  return frames;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void append_stack(std::string& out, const json& stack) {
  if (!stack.is_array() || stack.empty()) {
    out += "      (no stack recorded)\n";
    return;
  }
  for (size_t index = 0; index < stack.size(); ++index) {
    const json& frame = stack[index];
    const std::string number = "      #" + std::to_string(index) + (index < 10 ? "  " : " ");
    if (frame.contains("inlined") && frame["inlined"].is_array()) {
      for (const json& call : frame["inlined"]) out += number + describe_frame(call) + " [inlined]\n";
    }
    std::string function = string_field(frame, "function");
    out += number + (function.empty() ? "??" : function);
    if (!string_field(frame, "file").empty()) {
      out += " (" + string_field(frame, "file") + ":" + std::to_string(number_field(frame, "line", 0)) + ")";
    }
    out += " [" + base_name(string_field(frame, "module")) + "+" + string_field(frame, "offset") + "]\n";
  }
}

std::string lock_name(const json& id) {
  return "M" + (id.is_number() ? std::to_string(id.get<long long>()) : std::string("?"));
}

}  // namespace

std::string string_field(const json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::vector<const json*> stacks_of(const json& finding) {
  std::vector<const json*> stacks;
  if (finding.contains("stack") && finding["stack"].is_array()) stacks.push_back(&finding["stack"]);
  if (finding.contains("cycle") && finding["cycle"].is_array()) {
    for (const json& edge : finding["cycle"]) {
      for (const char* key : {"requested_stack", "held_stack"}) {
        if (edge.is_object() && edge.contains(key) && edge[key].is_array()) stacks.push_back(&edge[key]);
      }
    }
  }
  return stacks;
}

const json* site_frame(const json& stack) {
  if (!stack.is_array() || stack.empty()) return nullptr;
  const std::vector<const json*> frames = flattened(stack);
  const json* any_file = nullptr;
  for (const json* frame : frames) {
    const std::string file = string_field(*frame, "file");
    if (file.empty()) continue;
    if (!is_system_file(file)) return frame;
    if (any_file == nullptr) any_file = frame;
  }
  // No frame in the program's own sources. The call itself, by module and offset, when it has
  // no line (a stripped program: its caller's line in the C library would mislead); else the
  // first line known, in a system header or the C library.
  const json& call = stack.front();
  if (string_field(call, "file").empty() || any_file == nullptr) return &call;
  return any_file;
}

std::string describe_frame(const json& frame) {
  const std::string function = string_field(frame, "function");
  const std::string file = string_field(frame, "file");
  if (function.empty() && file.empty()) {
    return base_name(string_field(frame, "module")) + "+" + string_field(frame, "offset");
  }
  std::string text = function.empty() ? "??" : function;
  if (!file.empty()) text += " (" + file + ":" + std::to_string(number_field(frame, "line", 0)) + ")";
  return text;
}

std::string rule_id(const json& finding) {
  std::string id = string_field(finding, "kind");
  if (!string_field(finding, "subkind").empty()) id += "/" + string_field(finding, "subkind");
  return id;
}

std::string thread_dump_text(const json& threads) {
  std::string out;
  if (!threads.is_array()) return out;
  for (const json& thread : threads) {
    if (!thread.is_object()) continue;
    std::string state = string_field(thread, "state");
    if (thread.contains("waits") && thread["waits"].is_object()) {
      const json& waits = thread["waits"];
      state = "blocked in " + string_field(waits, "what") + " on " + string_field(waits, "address");
      if (waits.contains("thread")) state += " (T" + std::to_string(number_field(waits, "thread", 0)) + ")";
      if (waits.value("timed", false)) state += " with a timeout";
      state += " for " + std::to_string(number_field(waits, "blocked_ms", 0)) + " ms";
    } else if (state.rfind("syscall:", 0) == 0) {
      state = "in the system call " + state.substr(8);
    }
    out += "    T" + std::to_string(number_field(thread, "id", 0)) + " (tid " + std::to_string(number_field(thread, "tid", 0)) +
           ") " + state + "; now at (" + string_field(thread, "stack_source") + "):\n";
    append_stack(out, thread.contains("stack") ? thread["stack"] : json());
    if (!thread.contains("held") || !thread["held"].is_array()) continue;
    for (const json& held : thread["held"]) {
      if (!held.is_object()) continue;
      out += "      holds " + string_field(held, "kind") + " " + string_field(held, "address") + " (" +
             string_field(held, "mode") + ") for " + std::to_string(number_field(held, "held_ms", 0)) +
             " ms, acquired at:\n";
      append_stack(out, held.contains("acquired_at") ? held["acquired_at"] : json());
    }
  }
  return out;
}

std::string top_contention_text(const ReportSet& reports) {
  const json& lock = reports.top_contention;
  if (!lock.is_object()) return {};
  auto total = [&](const char* timing) -> long long {
    return lock.contains(timing) && lock[timing].is_object() ? number_field(lock[timing], "total_ns", 0) : 0;
  };
  const json* site = site_frame(lock["created_at"]);
  return "  top contention: the " + string_field(lock, "kind") + " created at " +
         (site != nullptr ? describe_frame(*site) : std::string("(unknown)")) + ": threads waited " +
         std::to_string(total("wait") / 1'000'000) + " ms for it and " + std::to_string(total("cond_wait") / 1'000'000) +
         " ms in condition waits with it, over " + std::to_string(number_field(lock, "acquisitions", 0)) +
         " acquisitions, in " + base_name(reports.top_contention_program) + " (pid " +
         std::to_string(reports.top_contention_pid) + "); `lockwatch run --profile` prints the whole profile\n";
}

std::string finding_details(const ReportedFinding& finding) {
  const json& record = finding.record;
  std::string out = std::string(finding.accepted                              ? "BASELINE"
                                : string_field(record, "severity") == "error" ? "ERROR"
                                                                               : "WARNING") +
                    ": " + string_field(record, "message") + "\n";
  if (record.contains("stack")) {
    out += "  Thread T" + std::to_string(number_field(record, "thread", 0)) + " made the call at:\n";
    append_stack(out, record["stack"]);
  }
  if (record.contains("related") && record["related"].is_array()) {
    for (const json& related : record["related"]) {
      out += "  " + string_field(related, "what") + " by thread T" + std::to_string(number_field(related, "thread", 0)) +
             " at:\n";
      append_stack(out, related.is_object() && related.contains("stack") ? related["stack"] : json());
    }
  }
  if (record.contains("locks") && record["locks"].is_array()) {
    for (const json& lock : record["locks"]) {
      if (!lock.is_object()) continue;
      out += "  " + lock_name(lock.value("id", json())) + " is the " + string_field(lock, "kind") + " at " +
             string_field(lock, "address");
      if (lock.contains("first_use") && lock["first_use"].is_array() && !lock["first_use"].empty()) {
        out += ", first used at:\n";
        append_stack(out, lock["first_use"]);
      } else {
        out += "\n";
      }
    }
  }
  if (record.contains("thread_dump")) out += "  Threads then:\n" + thread_dump_text(record["thread_dump"]);
  if (record.contains("cycle") && record["cycle"].is_array() && !record.contains("thread_dump")) {
    const bool now = string_field(record, "kind") == "deadlock";
    size_t number = 0;
    for (const json& edge : record["cycle"]) {
      if (!edge.is_object()) continue;
      const std::string from = lock_name(edge.value("from", json()));
      const std::string to = lock_name(edge.value("to", json()));
      const std::string thread = "T" + std::to_string(number_field(edge, "thread", 0));
      out += "  " + (now ? "Thread " + thread : "Edge " + std::to_string(++number)) + ": " + from + " -> " + to +
             ". Thread " + thread + " acquired " + from + " at:\n";
      append_stack(out, edge.contains("held_stack") ? edge["held_stack"] : json());
      out += "    and " + std::string(now ? "now" : "then") + ", still holding " + from + ", " +
             (now ? "waits for " : "requested ") + to + " at:\n";
      append_stack(out, edge.contains("requested_stack") ? edge["requested_stack"] : json());
    }
  }
  out += "  fingerprint " + string_field(record, "fingerprint") + ", seen " + std::to_string(finding.occurrences) +
         " time" + (finding.occurrences == 1 ? "" : "s") + "\n";
  return out;
}

}  // namespace lockwatch::cli

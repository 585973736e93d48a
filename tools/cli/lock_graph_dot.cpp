// Graphviz rendering of the findings' lock graph; see lock_graph_dot.h.
#include "lock_graph_dot.h"

#include <map>
#include <set>

#include "finding_text.h"

namespace lockwatch::cli {
namespace {

using nlohmann::json;

// A dot double-quoted string: quotes and backslashes escaped, line breaks as \n, other
// control characters dropped.
std::string dot_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      out += c;
    }
  }
  return out + "\"";
}

std::string site(const json& holder, const char* key) {
  if (!holder.is_object() || !holder.contains(key)) return "(no stack)";
  const json* frame = site_frame(holder[key]);
  return frame != nullptr ? describe_frame(*frame) : "(no stack)";
}

// How a finding's elements are drawn, worst first.
enum class Emphasis { error, warning, accepted };

std::string style(Emphasis emphasis) {
  switch (emphasis) {
    case Emphasis::error:
      return "color=red, fontcolor=red, penwidth=2.5, style=bold";
    case Emphasis::warning:
      return "color=orange, fontcolor=darkorange3, penwidth=1.5";
    case Emphasis::accepted:
      return "color=gray50, fontcolor=gray40, style=dashed";
  }
  return {};
}

struct Node {
  std::string label;
  Emphasis emphasis = Emphasis::accepted;
  std::set<std::string> notes;  // misuse lines
};

struct Process {
  std::string program;
  std::map<std::string, Node> nodes;  // by node id
  std::vector<std::string> edges;     // complete dot statements
};

}  // namespace

std::string format_dot(const ReportSet& reports) {
  std::map<long long, Process> processes;
  for (const ReportedFinding& finding : reports.findings) {
    const json& record = finding.record;
    const Emphasis emphasis = finding.accepted                                  ? Emphasis::accepted
                              : string_field(record, "severity") == "error" ? Emphasis::error
                                                                                  : Emphasis::warning;
    Process& process = processes[finding.pid];
    process.program = finding.program;
    // Lock ids of this finding → node ids (the lock's address in its process).
    std::map<long long, std::string> node_of;
    if (record.contains("locks") && record["locks"].is_array()) {
      for (const json& lock : record["locks"]) {
        if (!lock.is_object() || !lock.contains("id") || !lock["id"].is_number_integer()) continue;
        const std::string address = string_field(lock, "address");
        const std::string id = "p" + std::to_string(finding.pid) + "_" + address;
        node_of[lock["id"].get<long long>()] = id;
        Node& node = process.nodes[id];
        if (node.label.empty()) {
          node.label = string_field(lock, "kind") + " " + address;
          if (lock.contains("first_use") && site_frame(lock["first_use"]) != nullptr) {
            node.label += "\nfirst used at " + describe_frame(*site_frame(lock["first_use"]));
          }
        }
        if (emphasis < node.emphasis) node.emphasis = emphasis;
        if (string_field(record, "kind") == "misuse") {
          node.notes.insert(rule_id(record) + " at " + site(record, "stack"));
        }
      }
    }
    if (!record.contains("cycle") || !record["cycle"].is_array()) continue;
    const bool deadlock = string_field(record, "kind") == "deadlock";
    for (const json& edge : record["cycle"]) {
      if (!edge.is_object()) continue;
      const json from = edge.value("from", json());
      const json to = edge.value("to", json());
      if (!from.is_number_integer() || !to.is_number_integer() || !node_of.count(from.get<long long>()) ||
          !node_of.count(to.get<long long>())) {
        continue;
      }
      std::string label = "T" + std::to_string(edge.value("thread", json()).is_number_integer()
                                                    ? edge["thread"].get<long long>()
                                                    : 0LL);
      label += deadlock ? " holds it since " : " held it at ";
      label += site(edge, "held_stack");
      label += deadlock ? "\nand waits now at " : "\nand requested this at ";
      label += site(edge, "requested_stack");
      const std::string from_mode = string_field(edge, "from_mode");
      const std::string to_mode = string_field(edge, "to_mode");
      if (from_mode != "exclusive" || to_mode != "exclusive") label += "\n(" + from_mode + " -> " + to_mode + ")";
      label += "\n" + rule_id(record) + " " + string_field(record, "fingerprint");
      process.edges.push_back(dot_string(node_of[from.get<long long>()]) + " -> " + dot_string(node_of[to.get<long long>()]) +
                              " [label=" + dot_string(label) + ", " + style(emphasis) + "];");
    }
  }

  std::string out =
      "digraph lockwatch {\n"
      "  label=\"lockwatch: lock-order cycles and deadlocks (edge: held lock -> requested lock)\";\n"
      "  labelloc=t;\n"
      "  node [shape=box, fontname=\"monospace\", fontsize=10];\n"
      "  edge [fontname=\"monospace\", fontsize=9];\n";
  for (const auto& [pid, process] : processes) {
    out += "  subgraph " + dot_string("cluster_p" + std::to_string(pid)) + " {\n";
    out += "    label=" + dot_string("pid " + std::to_string(pid) + (process.program.empty() ? "" : " " + process.program)) +
           ";\n";
    for (const auto& [id, node] : process.nodes) {
      std::string label = node.label;
      for (const std::string& note : node.notes) label += "\n" + note;
      out += "    " + dot_string(id) + " [label=" + dot_string(label) + ", " + style(node.emphasis) + "];\n";
    }
    for (const std::string& edge : process.edges) out += "    " + edge + "\n";
    out += "  }\n";
  }
  return out + "}\n";
}

}  // namespace lockwatch::cli

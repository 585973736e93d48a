// `lockwatch report --format dot`: the lock-order graph the findings carry, as Graphviz dot.
// Nodes are locks (one cluster per process: a lock is an object of one process); edges are the
// acquisition orders of lock_order_inversion cycles and the waits of deadlock cycles, labelled
// with their held and requested sites. Reports only carry edges that are part of a finding, so
// every edge drawn is in a cycle: new error cycles are red and bold, warnings orange, findings a
// baseline accepts grey. Locks named by misuse findings appear as nodes with the misuse.
#pragma once

#include <string>

#include "report_reader.h"

namespace lockwatch::cli {

std::string format_dot(const ReportSet& reports);

}  // namespace lockwatch::cli

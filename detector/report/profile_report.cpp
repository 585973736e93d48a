// Profile record and tables; see profile_report.h.
#include "report/profile_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>
#include <nlohmann/json.hpp>

#include "report/json_records.h"

namespace lockwatch {
namespace {

using nlohmann::json;

uint64_t mean(uint64_t total, uint64_t count) {
  return count == 0 ? 0 : total / count;
}

// The sort key of the profile_sort option, for a lock's row or a site's; hold sorts by the
// estimated total hold time, wait by the time threads were blocked (a lock's includes its
// condition waits).
template <typename Row>
uint64_t sort_key(const Row& row, ProfileSort sort) {
  switch (sort) {
    case ProfileSort::contended: return row.contended;
    case ProfileSort::hold: return mean(row.hold_total_ns, row.hold_samples) * row.acquisitions;
    case ProfileSort::acquisitions: return row.acquisitions;
    case ProfileSort::owner_changes: return row.owner_changes;
    case ProfileSort::wait: break;
  }
  if constexpr (std::is_same_v<Row, LockProfileRow>) return row.blocked_ns();
  return row.wait_total_ns;
}

// Rows by `key`, then by acquisitions.
template <typename Row, typename Key>
std::vector<const Row*> sorted(const std::vector<Row>& rows, Key key) {
  std::vector<const Row*> out;
  for (const Row& row : rows) out.push_back(&row);
  std::stable_sort(out.begin(), out.end(), [&](const Row* a, const Row* b) {
    return key(*a) != key(*b) ? key(*a) > key(*b) : a->acquisitions > b->acquisitions;
  });
  return out;
}

// The first frame's pc: what makes a call site, whatever the stack above it.
uintptr_t call_site(const ResolvedStacks& stacks, StackId stack) {
  const auto& frames = stacks.frames(stack);
  return frames.empty() ? 0 : frames.front().pc;
}

// `function (file:line)` of a stack's first frame. A stripped module names no function there:
// then the first frame up the stack that has a name, marked approximate (`~name +N`: N frames
// up), else module+offset.
std::string site_name(const std::vector<SymbolizedFrame>& frames) {
  if (frames.empty()) return "(unknown site)";
  const SymbolizedFrame& frame = frames.front();
  const size_t slash = frame.module.rfind('/');
  const std::string module = slash == std::string::npos ? frame.module : frame.module.substr(slash + 1);
  const std::string function = frame.inlined.empty() ? frame.function : frame.inlined.front().function;
  if (function.empty()) {
    for (size_t up = 1; up < frames.size(); ++up) {
      if (!frames[up].function.empty()) {
        return fmt::format("~{} +{} [{}+0x{:x}]", frames[up].function, up, module, frame.offset);
      }
    }
    return fmt::format("{}+0x{:x}", module, frame.offset);
  }
  if (frame.file.empty()) return fmt::format("{} [{}]", function, module);
  const size_t file_slash = frame.file.rfind('/');
  return fmt::format("{} ({}:{})", function,
                     file_slash == std::string::npos ? frame.file : frame.file.substr(file_slash + 1), frame.line);
}

json timing(uint64_t count, uint64_t total, uint64_t max, uint64_t p50, uint64_t p99) {
  json out = {{"count", count}, {"total_ns", total}, {"mean_ns", mean(total, count)}, {"max_ns", max}};
  if (p50 != 0 || p99 != 0) {
    out["p50_ns"] = p50;
    out["p99_ns"] = p99;
  }
  return out;
}

}  // namespace

std::string human_duration(uint64_t ns) {
  if (ns < 1000) return fmt::format("{} ns", ns);
  const char* units[] = {"us", "ms", "s"};
  double value = static_cast<double>(ns) / 1000.0;
  size_t unit = 0;
  while (value >= 1000.0 && unit < 2) {
    value /= 1000.0;
    ++unit;
  }
  const int decimals = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return fmt::format("{:.{}f} {}", value, decimals, units[unit]);
}

std::vector<StackId> profile_stacks(const ProfileSnapshot& profile) {
  std::vector<StackId> ids;
  for (const LockProfileRow& row : profile.locks) {
    ids.push_back(row.created_at);
    ids.push_back(row.hot_sites[0]);
    ids.push_back(row.hot_sites[1]);
  }
  for (const SiteProfileRow& row : profile.sites) ids.push_back(row.site);
  return ids;
}

std::string profile_record(const ProfileSnapshot& profile, const ResolvedStacks& stacks, const Options& options) {
  json locks = json::array();
  for (const LockProfileRow* row : sorted(profile.locks, [&](const LockProfileRow& r) { return sort_key(r, options.profile_sort); })) {
    json hot = json::array();
    for (StackId site : row->hot_sites) {
      if (site != kNoStack) hot.push_back(frames_json(stacks.frames(site)));
    }
    locks.push_back({{"address", fmt::format("0x{:x}", row->address)},
                     {"kind", lock_kind_name(row->kind)},
                     {"created_at", frames_json(stacks.frames(row->created_at))},
                     {"acquisitions", row->acquisitions},
                     {"reads", row->reads},
                     {"writes", row->acquisitions - std::min(row->reads, row->acquisitions)},
                     {"contended", row->contended},
                     {"owner_changes", row->owner_changes},
                     {"wait", timing(row->contended, row->wait_total_ns, row->wait_max_ns, row->wait_p50_ns, row->wait_p99_ns)},
                     {"hold", timing(row->hold_samples, row->hold_total_ns, row->hold_max_ns, row->hold_p50_ns, row->hold_p99_ns)},
                     {"cond_waits", row->cond_waits},
                     {"cond_wait", timing(row->cond_waits, row->cond_wait_total_ns, row->cond_wait_max_ns, 0, 0)},
                     {"cond_wakeups", row->cond_wakeups},
                     {"hot_sites", std::move(hot)}});
  }
  json sites = json::array();
  for (const SiteProfileRow* row : sorted(profile.sites, [&](const SiteProfileRow& r) { return sort_key(r, options.profile_sort); })) {
    sites.push_back({{"site", frames_json(stacks.frames(row->site))},
                     {"acquisitions", row->acquisitions},
                     {"contended", row->contended},
                     {"owner_changes", row->owner_changes},
                     {"wait", timing(row->contended, row->wait_total_ns, row->wait_max_ns, 0, 0)},
                     {"hold", timing(row->hold_samples, row->hold_total_ns, row->hold_max_ns, 0, 0)}});
  }
  const json record = {{"type", "profile"},
                       {"time", utc_timestamp()},
                       {"clock", "CLOCK_MONOTONIC"},
                       {"sort", profile_sort_name(options.profile_sort)},
                       {"min_contended", options.profile_min_contended},
                       {"hold_sampling", fmt::format("after every contended acquisition, each thread's first of each lock, and 1 in {} others", options.profile_sample)},
                       {"dropped_locks", profile.dropped_locks},
                       {"locks", std::move(locks)},
                       {"sites", std::move(sites)}};
  return record.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string profile_text(const ProfileSnapshot& profile, const ResolvedStacks& stacks, const Options& options,
                         pid_t pid) {
  const auto locks = sorted(profile.locks, [&](const LockProfileRow& r) { return sort_key(r, options.profile_sort); });
  const auto sites = sorted(profile.sites, [&](const SiteProfileRow& r) { return sort_key(r, options.profile_sort); });
  const size_t lock_rows = std::min<size_t>(locks.size(), options.profile_top);
  const size_t site_rows = std::min<size_t>(sites.size(), options.profile_top);
  std::string out = fmt::format(
      "==lockwatch== contention profile (pid {}): top {} of {} locks with {} or more contended acquisitions or "
      "condition waits, by {}\n",
      pid, lock_rows, locks.size(), options.profile_min_contended, profile_sort_name(options.profile_sort));
  out += fmt::format("  {:>2}  {:<44} {:<8} {:>10} {:>16} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
                     "#", "lock (created at)", "kind", "acquired", "contended", "owner chg", "wait tot", "wait avg",
                     "wait p99", "wait max", "cond wait", "hold avg", "hold max");
  for (size_t i = 0; i < lock_rows; ++i) {
    const LockProfileRow& row = *locks[i];
    const double percent = row.acquisitions == 0 ? 0.0 : 100.0 * static_cast<double>(row.contended) /
                                                              static_cast<double>(row.acquisitions);
    std::string name = site_name(stacks.frames(row.created_at));
    if (name.size() > 44) name = name.substr(0, 41) + "...";
    out += fmt::format("  {:>2}  {:<44} {:<8} {:>10} {:>16} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
                       i + 1, name, lock_kind_name(row.kind), row.acquisitions,
                       fmt::format("{} ({:.1f}%)", row.contended, percent), row.owner_changes,
                       human_duration(row.wait_total_ns), human_duration(mean(row.wait_total_ns, row.contended)),
                       human_duration(row.wait_p99_ns), human_duration(row.wait_max_ns),
                       human_duration(row.cond_wait_total_ns),
                       human_duration(mean(row.hold_total_ns, row.hold_samples)), human_duration(row.hold_max_ns));
    for (size_t k = 0; k < 2; ++k) {
      const StackId site = row.hot_sites[k];
      const bool repeat = k == 1 && call_site(stacks, site) == call_site(stacks, row.hot_sites[0]);
      if (site != kNoStack && !repeat) out += fmt::format("      taken at {}\n", site_name(stacks.frames(site)));
    }
  }
  out += fmt::format("  top {} of {} acquisition sites, by {}\n", site_rows, sites.size(),
                     profile_sort_name(options.profile_sort));
  out += fmt::format("  {:>2}  {:<44} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "#", "site", "acquired",
                     "contended", "owner chg", "wait tot", "wait max", "hold avg");
  for (size_t i = 0; i < site_rows; ++i) {
    const SiteProfileRow& row = *sites[i];
    std::string name = site_name(stacks.frames(row.site));
    if (name.size() > 44) name = name.substr(0, 41) + "...";
    out += fmt::format("  {:>2}  {:<44} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}\n", i + 1, name, row.acquisitions,
                       row.contended, row.owner_changes, human_duration(row.wait_total_ns),
                       human_duration(row.wait_max_ns), human_duration(mean(row.hold_total_ns, row.hold_samples)));
  }
  if (profile.dropped_locks > 0) out += fmt::format("  ({} locks went unprofiled: the table was full)\n", profile.dropped_locks);
  if (out.find(" ~") != std::string::npos) {
    out += "  (~name +N: approximate; no name where the lock was taken (a stripped module), so the first named "
           "caller, N frames up)\n";
  }
  return out;
}

}  // namespace lockwatch

// Parser for LOCKWATCH_OPTIONS; see options.h for the error contract.
#include "options.h"

#include <fmt/format.h>
#include <charconv>

namespace lockwatch {
namespace {

constexpr std::string_view kKindNames[] = {"lock_order_inversion", "deadlock", "stall", "hang", "long_hold", "misuse"};

bool* kind_flag(FindingKindSet& set, std::string_view kind) {
  if (kind == "lock_order_inversion") return &set.lock_order_inversion;
  if (kind == "deadlock") return &set.deadlock;
  if (kind == "stall") return &set.stall;
  if (kind == "hang") return &set.hang;
  if (kind == "long_hold") return &set.long_hold;
  if (kind == "misuse") return &set.misuse;
  return nullptr;
}

std::string describe_kinds(const FindingKindSet& set) {
  std::string out;
  for (std::string_view kind : kKindNames) {
    if (!set.contains(kind)) continue;
    if (!out.empty()) out += ',';
    out += kind;
  }
  return out.empty() ? "none" : out;
}

constexpr std::pair<ProfileSort, const char*> kProfileSorts[] = {
    {ProfileSort::wait, "wait"},
    {ProfileSort::contended, "contended"},
    {ProfileSort::hold, "hold"},
    {ProfileSort::acquisitions, "acquisitions"},
    {ProfileSort::owner_changes, "owner_changes"},
};

bool parse_profile_sort(std::string_view text, ProfileSort& out) {
  for (const auto& [sort, name] : kProfileSorts) {
    if (text == name) {
      out = sort;
      return true;
    }
  }
  return false;
}

std::string_view describe_on_deadlock(OnDeadlock value) {
  switch (value) {
    case OnDeadlock::exit:
      return "exit";
    case OnDeadlock::abort:
      return "abort";
    case OnDeadlock::continue_running:
      return "continue";
  }
  return "exit";
}

template <typename Integer>
bool parse_integer(std::string_view text, Integer min, Integer max, Integer& out) {
  Integer value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) return false;
  out = value;
  return true;
}

class Parser {
 public:
  void apply(std::string_view key, std::string_view value) {
    Options& o = result_.options;
    const Options defaults;
    if (key == "log_path") {
      if (value.empty()) {
        o.log_path.clear();
        return fail(key, value, "(none)");
      }
      o.log_path = value;
    } else if (key == "exitcode") {
      integer(key, value, 0, 255, o.exitcode, defaults.exitcode);
    } else if (key == "fail_on") {
      parse_kinds(key, value);
    } else if (key == "stall_ms") {
      integer<uint32_t>(key, value, 1, 86'400'000, o.stall_ms, defaults.stall_ms);
    } else if (key == "long_hold_ms") {
      integer<uint32_t>(key, value, 1, 86'400'000, o.long_hold_ms, defaults.long_hold_ms);
    } else if (key == "watchdog_ms") {
      integer<uint32_t>(key, value, 1, 60'000, o.watchdog_ms, defaults.watchdog_ms);
    } else if (key == "on_deadlock") {
      if (value == "exit")
        o.on_deadlock = OnDeadlock::exit;
      else if (value == "abort")
        o.on_deadlock = OnDeadlock::abort;
      else if (value == "continue")
        o.on_deadlock = OnDeadlock::continue_running;
      else
        reset(o.on_deadlock, defaults.on_deadlock, key, value, "exit");
    } else if (key == "suppressions") {
      o.suppressions = value;
    } else if (key == "stack_depth") {
      integer<uint32_t>(key, value, 1, 256, o.stack_depth, defaults.stack_depth);
    } else if (key == "quiet") {
      parse_flag(key, value, o.quiet);
    } else if (key == "signal_unheld") {
      parse_flag(key, value, o.signal_unheld);
    } else if (key == "profile") {
      if (value == "off")
        o.profile = ProfileMode::off;
      else if (value == "on")
        o.profile = ProfileMode::on;
      else if (value == "print")
        o.profile = ProfileMode::print;
      else
        reset(o.profile, defaults.profile, key, value, "on");
    } else if (key == "profile_sample") {
      integer<uint32_t>(key, value, 0, 1'000'000, o.profile_sample, defaults.profile_sample);
    } else if (key == "profile_top") {
      integer<uint32_t>(key, value, 1, 100'000, o.profile_top, defaults.profile_top);
    } else if (key == "profile_sort") {
      if (!parse_profile_sort(value, o.profile_sort)) reset(o.profile_sort, defaults.profile_sort, key, value, "wait");
    } else if (key == "profile_min_contended") {
      integer<uint32_t>(key, value, 0, 4'000'000'000u, o.profile_min_contended, defaults.profile_min_contended);
    } else if (key == "profile_interval_ms") {
      integer<uint32_t>(key, value, 0, 86'400'000, o.profile_interval_ms, defaults.profile_interval_ms);
    } else if (key == "sample_signal") {
      // 0, or a real-time signal glibc leaves to programs (SIGRTMIN is 34 with glibc).
      int signal = 0;
      if (parse_integer(value, 0, 64, signal) && (signal == 0 || signal >= 34)) {
        o.sample_signal = signal;
      } else {
        reset(o.sample_signal, defaults.sample_signal, key, value, std::to_string(defaults.sample_signal));
      }
    } else {
      result_.errors.push_back(fmt::format("unknown option '{}' in LOCKWATCH_OPTIONS; using the defaults", key));
    }
  }

  ParsedOptions take() { return std::move(result_); }

  void error(std::string line) { result_.errors.push_back(std::move(line)); }

 private:
  // A bad value leaves the option at its default (an earlier good value of it included), as
  // the line says.
  void fail(std::string_view key, std::string_view value, std::string_view fallback) {
    result_.errors.push_back(fmt::format("bad value '{}' for {} in LOCKWATCH_OPTIONS; using {}", value, key, fallback));
  }
  template <typename T>
  void reset(T& option, const T& fallback, std::string_view key, std::string_view value, std::string_view shown) {
    option = fallback;
    fail(key, value, shown);
  }
  template <typename Integer>
  void integer(std::string_view key, std::string_view value, Integer min, Integer max, Integer& option,
               Integer fallback) {
    if (!parse_integer(value, min, max, option)) reset(option, fallback, key, value, std::to_string(fallback));
  }

  void parse_flag(std::string_view key, std::string_view value, bool& flag) {
    if (value == "1" || value == "true") {
      flag = true;
    } else if (value == "0" || value == "false") {
      flag = false;
    } else {
      reset(flag, false, key, value, "0");  // every flag is off by default
    }
  }

  void parse_kinds(std::string_view key, std::string_view value) {
    FindingKindSet set{false, false, false, false, false, false};
    if (value != "none") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string_view::npos) comma = value.size();
        bool* flag = kind_flag(set, value.substr(start, comma - start));
        if (flag == nullptr)
          return reset(result_.options.fail_on, Options{}.fail_on, key, value, describe_kinds(Options{}.fail_on));
        *flag = true;
        start = comma + 1;
      }
    }
    result_.options.fail_on = set;
  }

  ParsedOptions result_;
};

}  // namespace

const char* profile_sort_name(ProfileSort sort) {
  for (const auto& [known, name] : kProfileSorts) {
    if (known == sort) return name;
  }
  return "wait";
}

bool FindingKindSet::contains(std::string_view kind) const {
  FindingKindSet copy = *this;
  bool* flag = kind_flag(copy, kind);
  return flag != nullptr && *flag;
}

std::vector<std::pair<std::string, std::string>> Options::describe() const {
  return {
      {"log_path", log_path},
      {"exitcode", std::to_string(exitcode)},
      {"fail_on", describe_kinds(fail_on)},
      {"stall_ms", std::to_string(stall_ms)},
      {"long_hold_ms", std::to_string(long_hold_ms)},
      {"watchdog_ms", std::to_string(watchdog_ms)},
      {"on_deadlock", std::string(describe_on_deadlock(on_deadlock))},
      {"suppressions", suppressions},
      {"stack_depth", std::to_string(stack_depth)},
      {"quiet", quiet ? "1" : "0"},
      {"signal_unheld", signal_unheld ? "1" : "0"},
      {"sample_signal", std::to_string(sample_signal)},
      {"profile", profile == ProfileMode::off ? "off" : profile == ProfileMode::on ? "on" : "print"},
      {"profile_sample", std::to_string(profile_sample)},
      {"profile_top", std::to_string(profile_top)},
      {"profile_sort", profile_sort_name(profile_sort)},
      {"profile_min_contended", std::to_string(profile_min_contended)},
      {"profile_interval_ms", std::to_string(profile_interval_ms)},
  };
}

ParsedOptions parse_options(std::string_view text) {
  Parser parser;
  size_t position = 0;
  auto is_separator = [](char c) { return c == ':' || c == ' ' || c == '\t' || c == '\n'; };
  while (position < text.size()) {
    while (position < text.size() && is_separator(text[position])) ++position;
    size_t end = position;
    while (end < text.size() && !is_separator(text[end])) ++end;
    if (end == position) break;
    std::string_view pair = text.substr(position, end - position);
    position = end;
    size_t equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      parser.error(fmt::format("'{}' is not key=value in LOCKWATCH_OPTIONS; using the defaults", pair));
      continue;
    }
    parser.apply(pair.substr(0, equals), pair.substr(equals + 1));
  }
  return parser.take();
}

}  // namespace lockwatch

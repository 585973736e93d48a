// Options: the LOCKWATCH_OPTIONS contract of SPEC.md, parsed sanitizer-style.
// Parsing never fails the program: a bad key or value yields one error line naming the
// default that is kept, and the rest of the string still applies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lockwatch {

enum class OnDeadlock { exit, abort, continue_running };

// The contention profile: off (not collected), on (collected; a `profile` record at exit),
// print (also a table on stderr at exit).
enum class ProfileMode { off, on, print };
enum class ProfileSort { wait, contended, hold, acquisitions, owner_changes };

struct FindingKindSet {
  bool lock_order_inversion = true;
  bool deadlock = true;
  bool stall = false;
  bool hang = false;
  bool long_hold = false;
  bool misuse = true;
  bool contains(std::string_view kind) const;
};

struct Options {
  std::string log_path;  // empty: stderr only
  int exitcode = 66;
  FindingKindSet fail_on;
  uint32_t stall_ms = 1000;
  uint32_t long_hold_ms = 500;
  uint32_t watchdog_ms = 100;
  OnDeadlock on_deadlock = OnDeadlock::exit;
  std::string suppressions;
  uint32_t stack_depth = 32;
  bool quiet = false;
  bool signal_unheld = false;  // report cond_signal_unheld warnings
  // The real-time signal that samples a thread's stack for the watchdog and carries
  // `lockwatch dump` requests; 0: none (stacks of threads outside lock calls are scanned).
  int sample_signal = 61;  // SIGRTMAX-3 with glibc
  ProfileMode profile = ProfileMode::on;
  uint32_t profile_sample = 256;  // besides contended ones, one hold in this many is timed; 0: none
  uint32_t profile_top = 10;     // rows of the text tables
  ProfileSort profile_sort = ProfileSort::wait;
  uint32_t profile_min_contended = 1;  // locks with fewer contended acquisitions are left out
  uint32_t profile_interval_ms = 0;    // also write the profile this often (0: at exit only)

  // Every option as it is in force, for the `start` record: key and printed value.
  std::vector<std::pair<std::string, std::string>> describe() const;
};

struct ParsedOptions {
  Options options;
  // One message each, "<what> in LOCKWATCH_OPTIONS; using <default>", for the diagnostics
  // logger to print as "lockwatch: error: ...".
  std::vector<std::string> errors;
};

// The option value of `sort` ("wait", "contended", ...).
const char* profile_sort_name(ProfileSort sort);

// Parses `key=value` pairs separated by ':' or white space.
ParsedOptions parse_options(std::string_view text);

}  // namespace lockwatch

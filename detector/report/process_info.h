// ProcessInfo: who is being watched, for the `start` record and report headers.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace lockwatch {

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string exe;
  std::vector<std::string> argv;

  // Reads the calling process from /proc/self.
  static ProcessInfo current();
};

// UTC, ISO 8601 with milliseconds: "2026-11-26T01:02:03.456Z".
std::string utc_timestamp();

}  // namespace lockwatch

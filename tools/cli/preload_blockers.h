// What keeps LD_PRELOAD out of a command, told before `lockwatch run` starts it: a statically
// linked executable (no program interpreter: no dynamic loader ever reads LD_PRELOAD) and one
// that runs in secure-execution mode (set-user-ID or set-group-ID to another user or group
// than the caller's real one, or with file capabilities: the loader then ignores LD_PRELOAD,
// but for set-user-ID libraries in system directories, which liblockwatch.so is not).
#pragma once

#include <string>

namespace lockwatch::cli {

// Why the program `command` (a name looked up in PATH like execvp, or a path) cannot load
// liblockwatch.so, as the end of a sentence that starts with its quoted path; "" when nothing
// is known against it (or it cannot be found or read: exec will say so).
std::string preload_blocker(const std::string& command);

}  // namespace lockwatch::cli

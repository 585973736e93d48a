// `lockwatch dump PID`: asks a live process that runs with liblockwatch.so for a thread dump,
// like jstack: the sample signal, queued with lockwatch's tag (signal_sampler.h) to the
// process's watchdog thread alone, which answers within watchdog_ms by writing a `dump` record to its report and
// the dump to its stderr. Before signalling, it checks that the process loaded lockwatch and
// catches that signal, so a process without lockwatch is never sent a signal that would kill
// it. Prints the dump when the process writes a JSON Lines report (log_path).
#pragma once

#include <sys/types.h>

namespace lockwatch::cli {

// Returns the exit status: 0 when the dump was printed (or, without log_path, requested);
// 2 with a one-line error otherwise.
int request_dump(pid_t pid, double timeout_seconds);

}  // namespace lockwatch::cli

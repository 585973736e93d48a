// SignalSampler: where another thread of the process is right now, for the watchdog.
// A thread in user space (on the CPU or preempted), or waiting on a futex with no timeout (a lock, condition,
// join, barrier or semaphore wait: the kernel restarts those transparently after a handler
// with SA_RESTART), is sent the sample signal, and its handler unwinds its own stack with
// LLVM libunwind through the signal frame into a buffer (async-signal-safe: no allocation, no
// lock of lockwatch; it declines when the thread is inside lockwatch's own code).
// A thread in any other system call (nanosleep, poll, read, ...) is never signalled, since
// that call could fail with EINTR and change the program; its stack is scanned from outside
// instead: the frame it is at, from /proc/self/task/<tid>/syscall, then the words on its stack
// that are return addresses into code, read with process_vm_readv (which cannot fault). So is
// a thread off the CPU that cannot be signalled (it blocks the signal, or the program took it).
// The same signal, queued with lockwatch's tag to the watchdog thread alone (named
// kWatchdogThreadName; the only thread of lockwatch's that does not block it), asks for a
// thread dump: a signal sent to the process could land in any thread and interrupt its call.
// The handler is installed only when the program has none for that signal, and never
// signalled once the program has replaced it or the thread blocks it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "stack_capture.h"
#include "thread_sampler.h"

namespace lockwatch::preload {

// sigqueue() value that asks a process for a thread dump (`lockwatch dump PID`).
inline constexpr int kDumpRequestTag = 0x6c77646d;  // "lwdm"
// The watchdog thread's name (/proc/PID/task/TID/comm), by which `lockwatch dump` finds it;
// the other once the program has taken the sample signal over (no dump request can be served).
// At most 15 characters: the kernel keeps no more.
inline constexpr const char* kWatchdogThreadName = "lockwatch-wd";
inline constexpr const char* kNoDumpThreadName = "lockwatch-nodmp";

class SignalSampler final : public ThreadSampler {
 public:
  // Installs the handler of `signal` (0: none) unless the program has its own. Thread-safe;
  // called once, at start-up.
  static void install(int signal);
  // Called by the watchdog thread: names it and lets the sample signal in, for dump requests.
  static void serve_dump_requests_here();
  // Called by the watchdog thread at each look. Once the program has replaced lockwatch's
  // handler of the sample signal, a dump request must not reach the program's: the thread
  // blocks the signal (a request then stays pending, never delivered) and takes the name
  // kNoDumpThreadName, by which `lockwatch dump` tells the user.
  static void withdraw_dump_requests_if_taken_over();
  // A dump was asked for since the last call.
  static bool take_dump_request();

  CurrentStack current_stack(pid_t tid, StackDepot& stacks) override;
  size_t process_threads() override;
  bool program_handles_signals() override;

 private:
  CurrentStack sample_by_signal(pid_t tid, int signal, StackDepot& stacks);
  CurrentStack scan(uintptr_t stack_pointer, uintptr_t pc, StackDepot& stacks);
};

}  // namespace lockwatch::preload

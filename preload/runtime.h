// Runtime: lockwatch inside one process. Created once by the library's constructor (calls
// before that pass straight through to glibc) and never destroyed, it owns the options, the
// detector and the reporter, hands each thread its ThreadState, and applies the exit status.
//
// Re-entrancy: while a thread runs lockwatch's own code (reentrancy.h), its interposed calls
// are forwarded untouched, so lockwatch never analyses, and never recurses into, its own
// locking.
#pragma once

#include <atomic>
#include <cstdint>
#include <new>

#include "detector.h"
#include "options.h"
#include "reentrancy.h"
#include "report/reporter.h"
#include "thread_state.h"

namespace lockwatch::preload {

// The calling thread's state, null until its first analysed call. Initial-exec TLS: one
// %fs-relative load, no __tls_get_addr; __thread: no dynamic initialisation, no TLS wrapper.
extern __thread ThreadState* current_thread_state __attribute__((tls_model("initial-exec")));

class Runtime {
 public:
  static void initialize();
  // The runtime. Valid once initialize() has run, which every ThreadState implies.
  static Runtime& instance() { return *std::launder(reinterpret_cast<Runtime*>(storage_)); }

  Detector& detector() { return detector_; }

  // A deadlock was reported (a thread asked for a lock it holds, or the watchdog found a
  // cycle of blocked threads, or a hang): the on_deadlock option decides: exit (with exitcode, after the
  // `end` record), abort, or continue (the process stays hung, as it would without lockwatch).
  void on_deadlock();
  // The `profile` record (and with profile=print, its tables): at exit, and every
  // profile_interval_ms from the watchdog thread.
  void write_profile();

  // Slow path of analysed_thread(): the thread's first analysed call. Null when lockwatch is
  // not running yet or the thread is inside lockwatch.
  static ThreadState* attach_current_thread();

  // The program is about to create a thread: the watchdog starts first, from this ordinary
  // call site, never from inside a lock call (which may be inside the program's allocator).
  static void before_thread_create();

 private:
  explicit Runtime(const Options& options);
  static void on_thread_exit(void* state);
  static void on_process_exit(int status, void*);
  // At exit, when long holds were reported: lets the watchdog look once more, so that the
  // ends of those released since its last look are written (a bounded wait).
  void wait_for_long_hold_ends();
  static void before_fork();
  static void after_fork();
  static void after_fork_in_child();
  // The watchdog thread: started with the process's second thread (one thread alone cannot
  // deadlock with another), it looks every watchdog_ms at every thread (watchdog.h) and
  // serves thread dumps asked for with the sample signal.
  void start_watchdog_once();
  static void* run_watchdog(void*);

  static std::atomic<bool> running_;
  // Never destroyed: threads may still lock mutexes while the process exits.
  alignas(64) static char storage_[];

  Options options_;
  Detector detector_;  // reports to reporter_, constructed next (a reference is all it keeps)
  Reporter reporter_;
  pthread_key_t thread_exit_key_{};
  std::atomic<bool> watchdog_started_{false};
  // Published by the watchdog thread after each look, so that exit can let one more look
  // write the end of long holds that were reported.
  std::atomic<uint64_t> watchdog_looks_{0};
  std::atomic<size_t> open_long_holds_{0};
};

// The calling thread's state when this call should be analysed; null when it must pass
// straight through. Fast path: one TLS load and one TLS test.
inline ThreadState* analysed_thread() {
  ThreadState* state = current_thread_state;
  if (__builtin_expect(state == nullptr, 0)) return Runtime::attach_current_thread();
  return inside_lockwatch() ? nullptr : state;
}

}  // namespace lockwatch::preload

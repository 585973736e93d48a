// Process-wide set-up, per-thread state and exit handling; see runtime.h.
#include "runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <new>

#include "internal_allocator.h"
#include "real_functions.h"
#include "report/diagnostics.h"
#include "signal_sampler.h"
#include "watchdog.h"

namespace lockwatch::preload {

__thread ThreadState* current_thread_state __attribute__((tls_model("initial-exec"))) = nullptr;
std::atomic<bool> Runtime::running_{false};
alignas(64) char Runtime::storage_[sizeof(Runtime)];

namespace {

// A robust mutex is made for its owner's death: the next locker gets EOWNERDEAD and recovers.
// The thread still holds it, so its memory is still a mutex.
bool held_lock_outlives_owner(const HeldLock& held) {
  if (held.kind != LockKind::mutex && held.kind != LockKind::recursive_mutex &&
      held.kind != LockKind::errorcheck_mutex && held.kind != LockKind::adaptive_mutex) {
    return false;
  }
  constexpr int kRobustBit = 16;  // glibc's PTHREAD_MUTEX_ROBUST_NORMAL_NP, in the kind word
  return (reinterpret_cast<const pthread_mutex_t*>(held.address)->__data.__kind & kRobustBit) != 0;
}

// Whether this thread's before_fork took lockwatch's locks (see before_fork).
__thread bool holds_fork_locks __attribute__((tls_model("initial-exec")));

ParsedOptions options_from_environment() {
  const char* text = getenv("LOCKWATCH_OPTIONS");
  ParsedOptions parsed = parse_options(text != nullptr ? text : "");
  for (const std::string& error : parsed.errors) diagnostic_error(error);
  return parsed;
}

}  // namespace

Runtime::Runtime(const Options& options)
    : options_(options), detector_(options_, reporter_), reporter_(options_, detector_.stacks()) {}

void Runtime::initialize() {
  InsideLockwatch inside;
  (void)real();
  auto* runtime = new (storage_) Runtime(options_from_environment().options);
  pthread_key_create(&runtime->thread_exit_key_, &Runtime::on_thread_exit);
  pthread_atfork(&Runtime::before_fork, &Runtime::after_fork, &Runtime::after_fork_in_child);
  on_exit(&Runtime::on_process_exit, nullptr);
  SignalSampler::install(runtime->options_.sample_signal);
  runtime->reporter_.start();
  running_.store(true, std::memory_order_release);
}

ThreadState* Runtime::attach_current_thread() {
  if (!running_.load(std::memory_order_acquire) || inside_lockwatch()) return nullptr;
  InsideLockwatch inside;
  Runtime& runtime = instance();
  auto* state = static_cast<ThreadState*>(internal_allocate(sizeof(ThreadState)));
  runtime.detector_.attach_thread(*state, static_cast<pid_t>(syscall(SYS_gettid)),
                                  static_cast<uintptr_t>(pthread_self()));
  current_thread_state = state;
  pthread_setspecific(runtime.thread_exit_key_, state);
  // Normally started already by pthread_create; this catches threads made some other way (before
  // the constructor ran, or by a raw clone).
  if (state->number >= 2) runtime.start_watchdog_once();
  return state;
}

void Runtime::before_thread_create() {
  if (!running_.load(std::memory_order_acquire) || inside_lockwatch()) return;
  InsideLockwatch inside;
  instance().start_watchdog_once();
}

void Runtime::start_watchdog_once() {
  if (watchdog_started_.exchange(true)) return;
  // A detached thread of lockwatch's own; signals stay with the program's threads.
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pthread_t watchdog;
  if (pthread_create(&watchdog, &attributes, &Runtime::run_watchdog, this) != 0) {
    diagnostic_error("cannot start the watchdog thread; real deadlocks will not be detected");
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  pthread_attr_destroy(&attributes);
}

void* Runtime::run_watchdog(void* self) {
  stay_inside_lockwatch();
  auto* runtime = static_cast<Runtime*>(self);
  const timespec period{static_cast<time_t>(runtime->options_.watchdog_ms / 1000),
                        static_cast<long>(runtime->options_.watchdog_ms % 1000) * 1'000'000L};
  Watchdog watchdog(runtime->options_, runtime->detector_, runtime->reporter_);
  SignalSampler sampler;
  SignalSampler::serve_dump_requests_here();
  uint64_t profile_written_ms = monotonic_ns() / 1'000'000;
  for (;;) {
    nanosleep(&period, nullptr);
    const uint64_t now_ms = monotonic_ns() / 1'000'000;
    const uint32_t interval = runtime->options_.profile_interval_ms;
    if (interval != 0 && now_ms - profile_written_ms >= interval) {
      profile_written_ms = now_ms;
      runtime->write_profile();
    }
    // Edges threads kept pending while another held the graph wait no longer than this.
    runtime->detector_.add_all_pending_edges();
    SignalSampler::withdraw_dump_requests_if_taken_over();
    try {
      if (SignalSampler::take_dump_request()) watchdog.dump(now_ms, sampler);
      const Watchdog::Verdict verdict = watchdog.look(now_ms, sampler);
      runtime->open_long_holds_.store(watchdog.open_long_holds(), std::memory_order_release);
      runtime->watchdog_looks_.fetch_add(1, std::memory_order_acq_rel);
      if (verdict != Watchdog::Verdict::none) runtime->on_deadlock();
    } catch (...) {
      // Out of memory while reporting: the finding is lost, never the host program.
    }
  }
  return nullptr;
}

// An ended thread's stack goes back to glibc's cache, and the next thread may be given it: the
// locks that lived in its frames (a std::mutex local to a function) are gone, and new ones will
// be made at their addresses. (Not for the main thread: its stack is never handed on.)
namespace {
void forget_locks_on_own_stack(Detector& detector) {
  pthread_attr_t attributes;
  if (pthread_getattr_np(pthread_self(), &attributes) != 0) return;
  void* stack = nullptr;
  size_t size = 0;
  if (pthread_attr_getstack(&attributes, &stack, &size) == 0 && size > 0) {
    const uintptr_t begin = reinterpret_cast<uintptr_t>(stack);
    if (detector.may_hold_locks(begin, begin + size)) detector.on_memory_released(begin, begin + size);
  }
  pthread_attr_destroy(&attributes);
}
}  // namespace

void Runtime::on_thread_exit(void* state) {
  // The thread is ending (returned, exited or cancelled): what it still holds is reported,
  // and stays visible to the watchdog (in a record of the thread; its state is freed).
  // Whatever it locks from here on (later TLS destructors) passes through, so no new state is
  // attached and leaked. The mark dies with the thread's TLS.
  stay_inside_lockwatch();
  InsideLockwatch detaching;  // a signal handler that interrupts this finds lockwatch's locks taken
  auto* thread = static_cast<ThreadState*>(state);
  // Keeps a record of the thread if it holds locks.
  const bool still_holds_locks = instance().detector_.detach_thread(*thread, &held_lock_outlives_owner);
  if (!still_holds_locks && thread->tid != getpid()) forget_locks_on_own_stack(instance().detector_);
  current_thread_state = nullptr;
  internal_free(thread, sizeof(ThreadState));
}

void Runtime::write_profile() {
  // Without a log to write it to, only profile=print has a reader.
  if (options_.profile == ProfileMode::off || (options_.log_path.empty() && options_.profile != ProfileMode::print)) {
    return;
  }
  try {
    reporter_.report_profile(detector_.profile_snapshot(options_.profile_min_contended));
  } catch (...) {
    // Out of memory while reporting: the profile is lost, never the host program.
  }
}

void Runtime::on_deadlock() {
  if (options_.on_deadlock == OnDeadlock::continue_running) return;
  detector_.add_all_pending_edges();  // their inversions are reported before the end
  switch (options_.on_deadlock) {
    case OnDeadlock::continue_running:
      return;
    case OnDeadlock::abort:
      abort();
    case OnDeadlock::exit: {
      stay_inside_lockwatch();  // the process ends here
      InsideLockwatch ending;   // as in on_thread_exit
      // A deadlocked process never ends as a success, even with exitcode=0.
      const int status = options_.exitcode != 0 ? options_.exitcode : 66;
      write_profile();
      reporter_.finish(status);
      _exit(status);
    }
  }
}

// Only the forking thread lives on in the child, and its state stays valid; the reporter
// adopts the child at its first record. Reporter first: reporting takes detector locks.
// A fork() from inside lockwatch (a signal handler that interrupted lockwatch's own code on
// this thread) must not wait for locks this very thread may hold: it forks without them.
void Runtime::before_fork() {
  holds_fork_locks = !interrupted_lockwatch();
  ++lockwatch_depth;  // until after_fork: allocations the handlers make are not analysed
  if (!holds_fork_locks) return;
  instance().reporter_.lock_for_fork();
  instance().detector_.lock_for_fork();
}

void Runtime::after_fork() {
  if (holds_fork_locks) {
    instance().detector_.unlock_after_fork();
    instance().reporter_.unlock_after_fork();
  }
  --lockwatch_depth;
}

// The watchdog thread did not survive the fork: the child starts its own with its second
// thread.
void Runtime::after_fork_in_child() {
  after_fork();
  Runtime& runtime = instance();
  // The thread that forked lives on in the child under a tid of its own: findings, evidence
  // and the watchdog's /proc and signal look-ups must name it by that one.
  if (current_thread_state != nullptr) current_thread_state->tid = static_cast<pid_t>(syscall(SYS_gettid));
  runtime.detector_.adopt_forked_child(current_thread_state);
  runtime.reporter_.forget_other_threads();
  runtime.watchdog_started_.store(false);
  runtime.open_long_holds_.store(0);  // the parent's watchdog's, which the child has not
  runtime.watchdog_looks_.store(0);
}

void Runtime::on_process_exit(int status, void*) {
  // exit() from a signal handler that interrupted lockwatch's own code on this thread (a
  // report being symbolized, say): the locks that code holds (the symbolizer's, the graph,
  // malloc's own) are never released, so nothing that takes them, nor any allocation, runs.
  // The pending edges, the profile and the end record are lost, as after a SIGKILL.
  const bool interrupted = interrupted_lockwatch();
  stay_inside_lockwatch();
  Runtime& runtime = instance();
  if (!interrupted) {
    InsideLockwatch finishing;  // as in on_thread_exit
    runtime.detector_.add_all_pending_edges();
    runtime.write_profile();
    runtime.wait_for_long_hold_ends();
    runtime.reporter_.finish(status);
  }
  if (runtime.reporter_.errors() > 0 && runtime.options_.exitcode != 0) {
    fflush(nullptr);
    _exit(runtime.options_.exitcode);
  }
}

void Runtime::wait_for_long_hold_ends() {
  if (open_long_holds_.load(std::memory_order_acquire) > 0) {
    // One more look writes the end of the long holds released since the last one.
    const uint64_t seen = watchdog_looks_.load(std::memory_order_acquire);
    const timespec tick{0, 5'000'000};
    for (uint32_t waited = 0; waited < 2 * options_.watchdog_ms / 5 + 10; ++waited) {
      if (watchdog_looks_.load(std::memory_order_acquire) > seen + 1) break;
      nanosleep(&tick, nullptr);
    }
  }
}

__attribute__((constructor)) static void lockwatch_constructor() {
  Runtime::initialize();
}

}  // namespace lockwatch::preload

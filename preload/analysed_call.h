// The shapes every interposer shares: an acquiring call (request, real call, commit), a
// release (and what an unheld release was), and the report of a misuse found from glibc's
// memory. Each takes the CallSite read in the interposer itself (LOCKWATCH_CALL_SITE()).
#pragma once

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "call_site.h"
#include "detector.h"
#include "glibc_objects.h"
#include "real_functions.h"
#include "runtime.h"

namespace lockwatch::preload {

inline uintptr_t address_of(const volatile void* object) {
  return reinterpret_cast<uintptr_t>(object);
}

// Whether a mutex's memory shows it taken by another thread: `looked_busy` below. A recursive
// mutex its owner re-enters looks taken too, but is granted at once: not contended. The owner is
// read only on this rare path, so an uncontended lock pays nothing more.
inline bool mutex_looks_busy(const pthread_mutex_t* mutex) {
  if (!mutex_locked(mutex)) return false;
  const ThreadState* self = current_thread_state;
  return self == nullptr || mutex_owner(mutex) != self->tid;
}

// Runs `acquire(functions)` as the acquisition `request`; the lock counts as held when
// `acquired(result)`. Around the call, the thread publishes that it waits for the lock (two
// stores; the watchdog only believes a wait seen on two consecutive looks). When the lock's
// memory showed it taken (`looked_busy`, one plain read before the call: a try-lock costs
// glibc several times a lock), the acquisition counts as contended and the profile gets the
// time it waited. A request that can never be granted (the thread holds the lock) is reported
// before the thread blocks, and on_deadlock applies.
template <typename Acquire, typename Acquired>
__attribute__((always_inline)) inline int analysed_acquire(const Acquisition& request, CallSite site, bool looked_busy,
                                                           Acquire&& acquire, Acquired&& acquired) {
  ThreadState* thread = analysed_thread();
  if (thread == nullptr) return acquire(real());
  Detector& detector = Runtime::instance().detector();
  if (__builtin_expect(detector.on_lock_requested(*thread, request, site) == RequestVerdict::self_deadlock, 0)) {
    Runtime::instance().on_deadlock();
  }
  // About to wait: the edges it kept pending go in first (a deadlock must find them reported).
  if (__builtin_expect(looked_busy && request.blocking, 0)) detector.add_own_pending_edges(*thread);
  const bool timed = looked_busy && request.blocking && detector.profiling();
  const uint64_t since = __builtin_expect(timed, 0) ? monotonic_ns() : 0;
  thread->blocked.begin(request.waits_forever ? BlockingKind::lock : BlockingKind::timed_lock, request.address);
  const int result = acquire(resolved_functions);  // a ThreadState implies resolution is done
  thread->blocked.end();
  if (!acquired(result)) return result;
  detector.on_lock_acquired(*thread, request.address);
  if (__builtin_expect(timed, 0)) detector.on_contended_acquisition(*thread, request.address, since, monotonic_ns());
  return result;
}

// Runs `call(functions)` as a blocking operation of the calling thread (`timed`: it gives up
// by itself at a deadline); the record is cleared
// however the call ends (cancellation unwinds through here).
template <typename Call>
inline int blocking_call(BlockingKind kind, uintptr_t object, bool timed, Call&& call) {
  ThreadState* thread = analysed_thread();
  if (thread == nullptr) return call(real());
  struct Unblock {
    ThreadState& thread;
    ~Unblock() { thread.blocked.end(); }
  } unblock{*thread};
  Runtime::instance().detector().add_own_pending_edges(*thread);  // see analysed_acquire
  thread->blocked.begin(kind, object, timed);
  return call(resolved_functions);
}

inline bool pthread_acquired(int result) {
  return result == 0 || result == EOWNERDEAD;
}

// A misuse report about the object at `address`, ready for evidence.
inline MisuseReport misuse(const char* subkind, CallSite site, uintptr_t address, LockKind kind) {
  MisuseReport report;
  report.subkind = subkind;
  report.site = site;
  report.add_object(address, kind);
  return report;
}

// Where the thread with kernel id `owner` acquired the lock at `address`, if it is known.
inline void add_owner_evidence(MisuseReport& report, pid_t owner, uintptr_t address) {
  MisuseReport::Related acquired{};
  if (owner != 0 && Runtime::instance().detector().find_acquisition(owner, address, acquired)) {
    report.add_related(acquired);
  }
}

}  // namespace lockwatch::preload

namespace lockwatch::preload {

// A condition wait on `condvar` with the mutex at `mutex` (pthread or C11: same layout),
// `timed` when it has a deadline.
// `reacquired(result)`: the wait returned with the mutex locked again (success or timeout),
// which counts as a new acquisition: the edges it makes count like any others.
template <typename Wait, typename Reacquired>
inline int analysed_cond_wait(const void* condvar, pthread_mutex_t* mutex, bool timed, CallSite site, Wait&& wait,
                              Reacquired&& reacquired) {
  ThreadState* thread = analysed_thread();
  if (thread == nullptr) return wait(real());
  Detector& detector = Runtime::instance().detector();
  const bool owned = mutex_locked(mutex) && mutex_owner(mutex) == thread->tid;
  detector.on_cond_wait_begin(*thread, address_of(condvar), address_of(mutex), mutex_kind(mutex), owned, site);
  detector.add_own_pending_edges(*thread);  // see analysed_acquire
  thread->blocked.begin(BlockingKind::condition_wait, address_of(condvar), timed);
  // Ends the wait however the call ends: a thread cancelled in the wait leaves it by forced
  // unwinding, with the mutex locked again (its cleanup handlers run after this).
  struct WaitEnd {
    Detector& detector;
    ThreadState& thread;
    const void* condvar;
    pthread_mutex_t* mutex;
    CallSite site;
    bool reacquired = true;
    uint64_t since_ns = 0;  // with the profile on
    ~WaitEnd() {
      thread.blocked.end();
      if (since_ns != 0) detector.on_cond_waited(thread, address_of(mutex), monotonic_ns() - since_ns);
      detector.on_cond_wait_end(address_of(condvar));
      if (!reacquired) return;
      detector.on_lock_requested(thread, {address_of(mutex), mutex_kind(mutex), LockMode::exclusive, true, true}, site);
      detector.on_lock_acquired(thread, address_of(mutex));
    }
  } end{detector, *thread, condvar, mutex, site};
  if (detector.profiling()) end.since_ns = monotonic_ns();
  const int result = wait(resolved_functions);
  end.reacquired = reacquired(result);
  return result;
}

// A signal (`broadcast` false) or broadcast on `condvar` (pthread or C11): the wake is counted
// (and cond_signal_unheld checked) before `wake(functions)` makes it.
template <typename Wake>
inline int analysed_cond_wake(const void* condvar, bool broadcast, CallSite site, Wake&& wake) {
  ThreadState* thread = analysed_thread();
  if (thread == nullptr) return wake(real());
  Runtime::instance().detector().on_cond_signal(*thread, address_of(condvar), broadcast, site);
  return wake(resolved_functions);
}

// An unlock of a mutex (pthread or C11) that the thread does not hold as far as lockwatch
// knows: glibc's memory tells an unlocked mutex from one another thread owns (and from one
// this thread acquired before lockwatch saw it, which is fine). Returns that other owner's
// kernel id, or 0.
pid_t check_unheld_mutex_unlock(ThreadState& thread, pthread_mutex_t* mutex, CallSite site);

// Such an unlock, made by `unlock()` (which returns 0 on success): reported, made, and when it
// released another thread's hold (glibc does not check the owner of a normal mutex), that
// thread holds the mutex no more.
template <typename Unlock>
__attribute__((noinline)) int unlock_unheld_mutex(ThreadState& thread, pthread_mutex_t* mutex, CallSite site,
                                                  Unlock&& unlock) {
  const pid_t owner = check_unheld_mutex_unlock(thread, mutex, site);
  const int result = unlock();
  if (owner != 0 && result == 0) Runtime::instance().detector().on_lock_released_for(owner, address_of(mutex));
  return result;
}
// A call on a mutex that destroy has retired (glibc then answers EINVAL).
void report_use_destroyed(pthread_mutex_t* mutex, CallSite site);
// A mutex call on memory whose kind word is no mutex's: use_destroyed or invalid_object.
void report_not_a_mutex(pthread_mutex_t* mutex, CallSite site);
// destroy of a locked mutex (pthread or C11).
void check_destroy_locked(ThreadState& thread, pthread_mutex_t* mutex, CallSite site);
// A join of the calling thread itself.
void check_self_join(pthread_t target, CallSite site);

}  // namespace lockwatch::preload

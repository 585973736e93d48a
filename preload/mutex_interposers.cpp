// Interposers for pthread_mutex_*: report each event to the detector around the real call,
// and the misuses that glibc's memory reveals (unlocking a mutex the thread does not hold,
// using or destroying it at the wrong time). Results are never changed: lockwatch observes.
#include <errno.h>
#include <pthread.h>

#include "analysed_call.h"
#include "glibc_objects.h"

using namespace lockwatch;
using namespace lockwatch::preload;

namespace {

Acquisition mutex_request(pthread_mutex_t* mutex, bool blocking, bool waits_forever) {
  return {address_of(mutex), mutex_kind(mutex), LockMode::exclusive, blocking, waits_forever};
}

}  // namespace

namespace lockwatch::preload {

__attribute__((noinline)) void report_use_destroyed(pthread_mutex_t* mutex, CallSite site) {
  ThreadState* thread = analysed_thread();
  if (thread == nullptr) return;
  MisuseReport report = misuse("use_destroyed", site, address_of(mutex), LockKind::mutex);
  MisuseReport::Related destroyed{};
  if (Runtime::instance().detector().find_destruction(address_of(mutex), destroyed)) report.add_related(destroyed);
  Runtime::instance().detector().report_misuse(*thread, report);
}

// A mutex call on memory that is not a live mutex: destroyed (use_destroyed), or a kind word
// glibc never writes (invalid_object).
__attribute__((noinline)) void report_not_a_mutex(pthread_mutex_t* mutex, CallSite site) {
  if (mutex_destroyed(mutex)) return report_use_destroyed(mutex, site);
  ThreadState* thread = analysed_thread();
  if (thread == nullptr) return;
  Runtime::instance().detector().report_misuse(*thread,
                                               misuse("invalid_object", site, address_of(mutex), LockKind::mutex));
}

__attribute__((noinline)) pid_t check_unheld_mutex_unlock(ThreadState& thread, pthread_mutex_t* mutex, CallSite site) {
  if (mutex_destroyed(mutex)) {
    report_use_destroyed(mutex, site);
    return 0;
  }
  const pid_t owner = mutex_owner(mutex);
  if (mutex_locked(mutex) && owner == thread.tid) return 0;
  const bool unlocked = !mutex_locked(mutex);
  MisuseReport report = misuse(unlocked ? "unlock_unlocked" : "unlock_not_owner", site, address_of(mutex),
                               mutex_kind(mutex));
  if (!unlocked) add_owner_evidence(report, owner, address_of(mutex));
  Runtime::instance().detector().report_misuse(thread, report);
  return unlocked ? 0 : owner;
}

void check_destroy_locked(ThreadState& thread, pthread_mutex_t* mutex, CallSite site) {
  if (mutex_destroyed(mutex) || !mutex_locked(mutex)) return;
  MisuseReport report = misuse("destroy_locked", site, address_of(mutex), mutex_kind(mutex));
  add_owner_evidence(report, mutex_owner(mutex), address_of(mutex));
  Runtime::instance().detector().report_misuse(thread, report);
}

}  // namespace lockwatch::preload

namespace {

template <typename Acquire>
__attribute__((always_inline)) inline int acquire_mutex(pthread_mutex_t* mutex, CallSite site, bool blocking,
                                                        bool waits_forever, Acquire&& acquire) {
  if (__builtin_expect(!mutex_kind_valid(mutex), 0)) report_not_a_mutex(mutex, site);
  return analysed_acquire(mutex_request(mutex, blocking, waits_forever), site, mutex_looks_busy(mutex), acquire,
                          pthread_acquired);
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int pthread_mutex_lock(pthread_mutex_t* mutex) {
  return acquire_mutex(mutex, LOCKWATCH_CALL_SITE(), true, true,
                       [&](const RealFunctions& f) { return f.mutex_lock(mutex); });
}

__attribute__((visibility("default"))) int pthread_mutex_trylock(pthread_mutex_t* mutex) {
  return acquire_mutex(mutex, LOCKWATCH_CALL_SITE(), false, false,
                       [&](const RealFunctions& f) { return f.mutex_trylock(mutex); });
}

__attribute__((visibility("default"))) int pthread_mutex_timedlock(pthread_mutex_t* mutex,
                                                                   const struct timespec* deadline) {
  return acquire_mutex(mutex, LOCKWATCH_CALL_SITE(), true, false,
                       [&](const RealFunctions& f) { return f.mutex_timedlock(mutex, deadline); });
}

__attribute__((visibility("default"))) int pthread_mutex_clocklock(pthread_mutex_t* mutex, clockid_t clock,
                                                                   const struct timespec* deadline) {
  return acquire_mutex(mutex, LOCKWATCH_CALL_SITE(), true, false,
                       [&](const RealFunctions& f) { return f.mutex_clocklock(mutex, clock, deadline); });
}

__attribute__((visibility("default"))) int pthread_mutex_unlock(pthread_mutex_t* mutex) {
  if (ThreadState* thread = analysed_thread()) {
    if (__builtin_expect(!Runtime::instance().detector().on_lock_released(*thread, address_of(mutex)), 0)) {
      return unlock_unheld_mutex(*thread, mutex, LOCKWATCH_CALL_SITE(),  // the site only on this slow path
                                 [mutex] { return resolved_functions.mutex_unlock(mutex); });
    }
    return resolved_functions.mutex_unlock(mutex);
  }
  return real().mutex_unlock(mutex);
}

__attribute__((visibility("default"))) int pthread_mutex_init(pthread_mutex_t* mutex,
                                                              const pthread_mutexattr_t* attributes) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  ThreadState* thread = analysed_thread();
  if (thread != nullptr) {
    // Initialising a mutex lockwatch knows as live, and that is locked: its owner and any
    // waiter are cut off.
    // Only lockwatch's own bookkeeping is trusted here: init is normally called on fresh
    // memory, whose bytes (a freed block's allocator pointers) may look like a locked mutex.
    Detector& detector = Runtime::instance().detector();
    LockKind known;
    MisuseReport::Related holder{};
    if (detector.known_kind(address_of(mutex), known) && !mutex_destroyed(mutex) && mutex_locked(mutex) &&
        detector.find_acquisition(mutex_owner(mutex), address_of(mutex), holder)) {
      MisuseReport report = misuse("reinit_live", site, address_of(mutex), known);
      MisuseReport::Related initialized{};
      if (detector.find_initialization(address_of(mutex), initialized)) report.add_related(initialized);
      report.add_related(holder);
      detector.report_misuse(*thread, report);
    }
  }
  const int result = real().mutex_init(mutex, attributes);
  if (thread != nullptr && result == 0) {
    Runtime::instance().detector().on_lock_initialized(*thread, address_of(mutex), mutex_kind(mutex), site);
  }
  return result;
}

__attribute__((visibility("default"))) int pthread_mutex_destroy(pthread_mutex_t* mutex) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  ThreadState* thread = analysed_thread();
  if (thread != nullptr) check_destroy_locked(*thread, mutex, site);
  const int result = real().mutex_destroy(mutex);
  // A failed destroy (EBUSY: still locked) leaves the lock alive, and known.
  if (thread != nullptr && result == 0) Runtime::instance().detector().on_lock_destroyed(*thread, address_of(mutex), site);
  return result;
}

}  // extern "C"

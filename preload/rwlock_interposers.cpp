// Interposers for pthread_rwlock_*: read and write acquisitions are told apart (a read hold
// of a reader-preferring rwlock never blocks another reader), plus the rwlock misuses:
// rwlock_upgrade (found by the detector), rwlock_unlock_unheld, destroy_busy, reinit_live
// and invalid_object (an rwlock call on memory lockwatch knows as a mutex).
#include <pthread.h>

#include "analysed_call.h"
#include "glibc_objects.h"

using namespace lockwatch;
using namespace lockwatch::preload;

namespace {

bool is_mutex_kind(LockKind kind) {
  return kind == LockKind::mutex || kind == LockKind::recursive_mutex || kind == LockKind::errorcheck_mutex ||
         kind == LockKind::adaptive_mutex;
}

// The object is known to lockwatch as a mutex: reported once per call site, the call goes on.
__attribute__((noinline)) void check_not_a_mutex(pthread_rwlock_t* rwlock, CallSite site) {
  ThreadState* thread = analysed_thread();
  LockKind known;
  if (thread == nullptr || !Runtime::instance().detector().known_kind(address_of(rwlock), known) ||
      !is_mutex_kind(known)) {
    return;
  }
  MisuseReport report = misuse("invalid_object", site, address_of(rwlock), known);
  MisuseReport::Related initialized{};
  if (Runtime::instance().detector().find_initialization(address_of(rwlock), initialized)) {
    report.add_related(initialized);
  }
  Runtime::instance().detector().report_misuse(*thread, report);
}

// `reading`: a read request (its mode in the graph also depends on the rwlock's preference).
template <typename Acquire>
inline int acquire_rwlock(pthread_rwlock_t* rwlock, CallSite site, bool reading, bool blocking, bool waits_forever,
                          Acquire&& acquire) {
  check_not_a_mutex(rwlock, site);
  const LockMode mode = reading ? read_mode(rwlock) : LockMode::exclusive;
  const bool busy = reading ? rwlock_write_held(rwlock) : rwlock_held(rwlock);
  return analysed_acquire({address_of(rwlock), LockKind::rwlock, mode, blocking, waits_forever}, site, busy, acquire,
                          [](int result) { return result == 0; });
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int pthread_rwlock_rdlock(pthread_rwlock_t* rwlock) {
  return acquire_rwlock(rwlock, LOCKWATCH_CALL_SITE(), true, true, true,
                        [&](const RealFunctions& f) { return f.rwlock_rdlock(rwlock); });
}

__attribute__((visibility("default"))) int pthread_rwlock_tryrdlock(pthread_rwlock_t* rwlock) {
  return acquire_rwlock(rwlock, LOCKWATCH_CALL_SITE(), true, false, false,
                        [&](const RealFunctions& f) { return f.rwlock_tryrdlock(rwlock); });
}

__attribute__((visibility("default"))) int pthread_rwlock_timedrdlock(pthread_rwlock_t* rwlock,
                                                                      const struct timespec* deadline) {
  return acquire_rwlock(rwlock, LOCKWATCH_CALL_SITE(), true, true, false,
                        [&](const RealFunctions& f) { return f.rwlock_timedrdlock(rwlock, deadline); });
}

__attribute__((visibility("default"))) int pthread_rwlock_clockrdlock(pthread_rwlock_t* rwlock, clockid_t clock,
                                                                      const struct timespec* deadline) {
  return acquire_rwlock(rwlock, LOCKWATCH_CALL_SITE(), true, true, false,
                        [&](const RealFunctions& f) { return f.rwlock_clockrdlock(rwlock, clock, deadline); });
}

__attribute__((visibility("default"))) int pthread_rwlock_wrlock(pthread_rwlock_t* rwlock) {
  return acquire_rwlock(rwlock, LOCKWATCH_CALL_SITE(), false, true, true,
                        [&](const RealFunctions& f) { return f.rwlock_wrlock(rwlock); });
}

__attribute__((visibility("default"))) int pthread_rwlock_trywrlock(pthread_rwlock_t* rwlock) {
  return acquire_rwlock(rwlock, LOCKWATCH_CALL_SITE(), false, false, false,
                        [&](const RealFunctions& f) { return f.rwlock_trywrlock(rwlock); });
}

__attribute__((visibility("default"))) int pthread_rwlock_timedwrlock(pthread_rwlock_t* rwlock,
                                                                      const struct timespec* deadline) {
  return acquire_rwlock(rwlock, LOCKWATCH_CALL_SITE(), false, true, false,
                        [&](const RealFunctions& f) { return f.rwlock_timedwrlock(rwlock, deadline); });
}

__attribute__((visibility("default"))) int pthread_rwlock_clockwrlock(pthread_rwlock_t* rwlock, clockid_t clock,
                                                                      const struct timespec* deadline) {
  return acquire_rwlock(rwlock, LOCKWATCH_CALL_SITE(), false, true, false,
                        [&](const RealFunctions& f) { return f.rwlock_clockwrlock(rwlock, clock, deadline); });
}

__attribute__((visibility("default"))) int pthread_rwlock_unlock(pthread_rwlock_t* rwlock) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  ThreadState* thread = analysed_thread();
  if (thread == nullptr) return real().rwlock_unlock(rwlock);
  // Not held as far as lockwatch knows: misuse unless glibc shows this thread as the writer,
  // or shows readers (a read lock taken before lockwatch started cannot be told apart).
  if (!Runtime::instance().detector().on_lock_released(*thread, address_of(rwlock)) &&
      rwlock_writer(rwlock) != thread->tid && !rwlock_read_held(rwlock)) {
    Runtime::instance().detector().report_misuse(
        *thread, misuse("rwlock_unlock_unheld", site, address_of(rwlock), LockKind::rwlock));
  }
  return resolved_functions.rwlock_unlock(rwlock);
}

__attribute__((visibility("default"))) int pthread_rwlock_init(pthread_rwlock_t* rwlock,
                                                               const pthread_rwlockattr_t* attributes) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  ThreadState* thread = analysed_thread();
  LockKind known;
  MisuseReport::Related holder{};
  // As for mutexes, only a writer lockwatch saw acquire it counts: fresh memory may look held.
  if (thread != nullptr && Runtime::instance().detector().known_kind(address_of(rwlock), known) &&
      known == LockKind::rwlock && rwlock_held(rwlock) &&
      Runtime::instance().detector().find_acquisition(rwlock_writer(rwlock), address_of(rwlock), holder)) {
    Runtime::instance().detector().report_misuse(*thread,
                                                 misuse("reinit_live", site, address_of(rwlock), LockKind::rwlock));
  }
  const int result = real().rwlock_init(rwlock, attributes);
  if (thread != nullptr && result == 0) {
    Runtime::instance().detector().on_lock_initialized(*thread, address_of(rwlock), LockKind::rwlock, site);
  }
  return result;
}

__attribute__((visibility("default"))) int pthread_rwlock_destroy(pthread_rwlock_t* rwlock) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  ThreadState* thread = analysed_thread();
  if (thread != nullptr && rwlock_held(rwlock)) {
    MisuseReport report = misuse("destroy_busy", site, address_of(rwlock), LockKind::rwlock);
    add_owner_evidence(report, rwlock_writer(rwlock), address_of(rwlock));
    Runtime::instance().detector().report_misuse(*thread, report);
  }
  const int result = real().rwlock_destroy(rwlock);
  if (thread != nullptr && result == 0) {
    Runtime::instance().detector().on_lock_destroyed(*thread, address_of(rwlock), site);
  }
  return result;
}

}  // extern "C"

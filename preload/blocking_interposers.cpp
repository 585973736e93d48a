// Interposers for the blocking calls that are not locks: joins, barriers and semaphores.
// Each records what the thread is blocked in (ThreadState::blocked, read by the watchdog);
// joins check self_join, barriers count their waiters for destroy_busy.
#include <pthread.h>
#include <semaphore.h>

#include "analysed_call.h"
#include "glibc_objects.h"

using namespace lockwatch;
using namespace lockwatch::preload;

namespace lockwatch::preload {

void check_self_join(pthread_t target, CallSite site) {
  if (!pthread_equal(target, pthread_self())) return;
  if (ThreadState* thread = analysed_thread()) {
    MisuseReport report;
    report.subkind = "self_join";
    report.site = site;
    Runtime::instance().detector().report_misuse(*thread, report);
  }
}

}  // namespace lockwatch::preload

namespace {

template <typename Join>
inline int analysed_join(pthread_t target, bool timed, CallSite site, Join&& join) {
  check_self_join(target, site);
  return blocking_call(BlockingKind::join, static_cast<uintptr_t>(target), timed, join);
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int pthread_join(pthread_t thread, void** result) {
  return analysed_join(thread, false, LOCKWATCH_CALL_SITE(),
                       [&](const RealFunctions& f) { return f.join(thread, result); });
}

__attribute__((visibility("default"))) int pthread_timedjoin_np(pthread_t thread, void** result,
                                                                const struct timespec* deadline) {
  return analysed_join(thread, deadline != nullptr, LOCKWATCH_CALL_SITE(),
                       [&](const RealFunctions& f) { return f.timedjoin(thread, result, deadline); });
}

__attribute__((visibility("default"))) int pthread_clockjoin_np(pthread_t thread, void** result, clockid_t clock,
                                                                const struct timespec* deadline) {
  return analysed_join(thread, deadline != nullptr, LOCKWATCH_CALL_SITE(),
                       [&](const RealFunctions& f) { return f.clockjoin(thread, result, clock, deadline); });
}

__attribute__((visibility("default"))) int pthread_barrier_wait(pthread_barrier_t* barrier) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  ThreadState* thread = analysed_thread();
  if (thread == nullptr) return real().barrier_wait(barrier);
  Detector& detector = Runtime::instance().detector();
  detector.on_barrier_wait_begin(*thread, address_of(barrier), barrier_count(barrier), site);
  struct WaitEnd {
    Detector& detector;
    uintptr_t barrier;
    ~WaitEnd() { detector.on_barrier_wait_end(barrier); }
  } end{detector, address_of(barrier)};
  return blocking_call(BlockingKind::barrier, address_of(barrier), false,
                       [&](const RealFunctions& f) { return f.barrier_wait(barrier); });
}

__attribute__((visibility("default"))) int pthread_barrier_destroy(pthread_barrier_t* barrier) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  if (ThreadState* thread = analysed_thread()) {
    const WaitTable::Binding waiters = Runtime::instance().detector().waiters(address_of(barrier));
    if (waiters.blocked() > 0) {
      MisuseReport report = misuse("destroy_busy", site, address_of(barrier), LockKind::barrier);
      report.add_related({"waited", waiters.thread, waiters.tid, waiters.stack});
      Runtime::instance().detector().report_misuse(*thread, report);
    }
  }
  return real().barrier_destroy(barrier);
}

__attribute__((visibility("default"))) int sem_wait(sem_t* semaphore) {
  return blocking_call(BlockingKind::semaphore, address_of(semaphore), false,
                       [&](const RealFunctions& f) { return f.sem_wait(semaphore); });
}

__attribute__((visibility("default"))) int sem_timedwait(sem_t* semaphore, const struct timespec* deadline) {
  return blocking_call(BlockingKind::semaphore, address_of(semaphore), true,
                       [&](const RealFunctions& f) { return f.sem_timedwait(semaphore, deadline); });
}

__attribute__((visibility("default"))) int sem_clockwait(sem_t* semaphore, clockid_t clock,
                                                         const struct timespec* deadline) {
  return blocking_call(BlockingKind::semaphore, address_of(semaphore), true,
                       [&](const RealFunctions& f) { return f.sem_clockwait(semaphore, clock, deadline); });
}

}  // extern "C"

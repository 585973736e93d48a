// Interposers for pthread_cond_*: a wait releases its mutex in the bookkeeping and re-acquires
// it after (a real acquisition: new edges count), and the condvar misuses: cond_wait_unheld,
// cond_multiple_mutexes, cond_signal_unheld (option), destroy_busy and reinit_live.
#include <errno.h>
#include <pthread.h>

#include "analysed_call.h"
#include "glibc_objects.h"

using namespace lockwatch;
using namespace lockwatch::preload;

namespace {

bool pthread_wait_reacquired(int result) {
  return result == 0 || result == ETIMEDOUT || result == EOWNERDEAD;
}

// destroy or init of a condvar that threads wait on: they are cut off.
void check_condvar_busy(const char* subkind, pthread_cond_t* condvar, CallSite site) {
  ThreadState* thread = analysed_thread();
  if (thread == nullptr) return;
  const WaitTable::Binding waiters = Runtime::instance().detector().waiters(address_of(condvar));
  if (waiters.blocked() == 0) return;
  MisuseReport report = misuse(subkind, site, address_of(condvar), LockKind::condvar);
  report.add_related({"waited", waiters.thread, waiters.tid, waiters.stack});
  Runtime::instance().detector().report_misuse(*thread, report);
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int pthread_cond_wait(pthread_cond_t* condvar, pthread_mutex_t* mutex) {
  return analysed_cond_wait(
      condvar, mutex, false, LOCKWATCH_CALL_SITE(), [&](const RealFunctions& f) { return f.cond_wait(condvar, mutex); },
      pthread_wait_reacquired);
}

__attribute__((visibility("default"))) int pthread_cond_timedwait(pthread_cond_t* condvar, pthread_mutex_t* mutex,
                                                                  const struct timespec* deadline) {
  return analysed_cond_wait(
      condvar, mutex, deadline != nullptr, LOCKWATCH_CALL_SITE(),
      [&](const RealFunctions& f) { return f.cond_timedwait(condvar, mutex, deadline); }, pthread_wait_reacquired);
}

__attribute__((visibility("default"))) int pthread_cond_clockwait(pthread_cond_t* condvar, pthread_mutex_t* mutex,
                                                                  clockid_t clock, const struct timespec* deadline) {
  return analysed_cond_wait(
      condvar, mutex, deadline != nullptr, LOCKWATCH_CALL_SITE(),
      [&](const RealFunctions& f) { return f.cond_clockwait(condvar, mutex, clock, deadline); },
      pthread_wait_reacquired);
}

__attribute__((visibility("default"))) int pthread_cond_signal(pthread_cond_t* condvar) {
  return analysed_cond_wake(condvar, false, LOCKWATCH_CALL_SITE(),
                            [&](const RealFunctions& f) { return f.cond_signal(condvar); });
}

__attribute__((visibility("default"))) int pthread_cond_broadcast(pthread_cond_t* condvar) {
  return analysed_cond_wake(condvar, true, LOCKWATCH_CALL_SITE(),
                            [&](const RealFunctions& f) { return f.cond_broadcast(condvar); });
}

__attribute__((visibility("default"))) int pthread_cond_init(pthread_cond_t* condvar,
                                                             const pthread_condattr_t* attributes) {
  check_condvar_busy("reinit_live", condvar, LOCKWATCH_CALL_SITE());
  return real().cond_init(condvar, attributes);
}

__attribute__((visibility("default"))) int pthread_cond_destroy(pthread_cond_t* condvar) {
  check_condvar_busy("destroy_busy", condvar, LOCKWATCH_CALL_SITE());
  return real().cond_destroy(condvar);
}

}  // extern "C"

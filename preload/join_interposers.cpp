// Interposers for pthread_join and its timed variants: a thread that joins itself waits for
// its own end, forever (glibc answers EDEADLK): self_join.
#include <pthread.h>

#include "analysed_call.h"

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

extern "C" {

__attribute__((visibility("default"))) int pthread_join(pthread_t thread, void** result) {
  check_self_join(thread, LOCKWATCH_CALL_SITE());
  return real().join(thread, result);
}

__attribute__((visibility("default"))) int pthread_timedjoin_np(pthread_t thread, void** result,
                                                                const struct timespec* deadline) {
  check_self_join(thread, LOCKWATCH_CALL_SITE());
  return real().timedjoin(thread, result, deadline);
}

__attribute__((visibility("default"))) int pthread_clockjoin_np(pthread_t thread, void** result, clockid_t clock,
                                                                const struct timespec* deadline) {
  check_self_join(thread, LOCKWATCH_CALL_SITE());
  return real().clockjoin(thread, result, clock, deadline);
}

}  // extern "C"

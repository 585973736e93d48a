// Interposers for C11 threads (mtx_*, cnd_*, thrd_join). glibc implements them on its
// pthread internals without going through the interposable pthread symbols, so they are
// interposed directly; mtx_t and cnd_t share pthread_mutex_t's and pthread_cond_t's layout,
// so the same checks read their memory.
#include <pthread.h>
#include <threads.h>

#include "analysed_call.h"
#include "glibc_objects.h"

using namespace lockwatch;
using namespace lockwatch::preload;

namespace {

pthread_mutex_t* as_pthread(mtx_t* mutex) {
  return reinterpret_cast<pthread_mutex_t*>(mutex);
}

template <typename Acquire>
inline int acquire_mtx(mtx_t* mutex, CallSite site, bool blocking, bool waits_forever, Acquire&& acquire) {
  pthread_mutex_t* mutex_memory = as_pthread(mutex);
  if (__builtin_expect(!mutex_kind_valid(mutex_memory), 0)) report_not_a_mutex(mutex_memory, site);
  return analysed_acquire({address_of(mutex), mutex_kind(mutex_memory), LockMode::exclusive, blocking, waits_forever},
                          site, mutex_looks_busy(mutex_memory), acquire,
                          [](int result) { return result == thrd_success; });
}

bool c11_wait_reacquired(int result) {
  return result == thrd_success || result == thrd_timedout;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int mtx_init(mtx_t* mutex, int type) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  const int result = real().c11_mtx_init(mutex, type);
  if (ThreadState* thread = analysed_thread(); thread != nullptr && result == thrd_success) {
    Runtime::instance().detector().on_lock_initialized(*thread, address_of(mutex), mutex_kind(as_pthread(mutex)), site);
  }
  return result;
}

__attribute__((visibility("default"))) void mtx_destroy(mtx_t* mutex) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  ThreadState* thread = analysed_thread();
  if (thread != nullptr) check_destroy_locked(*thread, as_pthread(mutex), site);
  real().c11_mtx_destroy(mutex);
  if (thread != nullptr) Runtime::instance().detector().on_lock_destroyed(*thread, address_of(mutex), site);
}

__attribute__((visibility("default"))) int mtx_lock(mtx_t* mutex) {
  return acquire_mtx(mutex, LOCKWATCH_CALL_SITE(), true, true,
                     [&](const RealFunctions& f) { return f.c11_mtx_lock(mutex); });
}

__attribute__((visibility("default"))) int mtx_trylock(mtx_t* mutex) {
  return acquire_mtx(mutex, LOCKWATCH_CALL_SITE(), false, false,
                     [&](const RealFunctions& f) { return f.c11_mtx_trylock(mutex); });
}

__attribute__((visibility("default"))) int mtx_timedlock(mtx_t* mutex, const struct timespec* deadline) {
  return acquire_mtx(mutex, LOCKWATCH_CALL_SITE(), true, false,
                     [&](const RealFunctions& f) { return f.c11_mtx_timedlock(mutex, deadline); });
}

__attribute__((visibility("default"))) int mtx_unlock(mtx_t* mutex) {
  ThreadState* thread = analysed_thread();
  if (thread == nullptr) return real().c11_mtx_unlock(mutex);
  if (!Runtime::instance().detector().on_lock_released(*thread, address_of(mutex))) {
    return unlock_unheld_mutex(*thread, as_pthread(mutex), LOCKWATCH_CALL_SITE(),
                               [mutex] { return resolved_functions.c11_mtx_unlock(mutex); });  // thrd_success: 0
  }
  return resolved_functions.c11_mtx_unlock(mutex);
}

__attribute__((visibility("default"))) int cnd_wait(cnd_t* condvar, mtx_t* mutex) {
  return analysed_cond_wait(
      condvar, as_pthread(mutex), false, LOCKWATCH_CALL_SITE(),
      [&](const RealFunctions& f) { return f.c11_cnd_wait(condvar, mutex); }, c11_wait_reacquired);
}

__attribute__((visibility("default"))) int cnd_timedwait(cnd_t* condvar, mtx_t* mutex,
                                                         const struct timespec* deadline) {
  return analysed_cond_wait(
      condvar, as_pthread(mutex), deadline != nullptr, LOCKWATCH_CALL_SITE(),
      [&](const RealFunctions& f) { return f.c11_cnd_timedwait(condvar, mutex, deadline); }, c11_wait_reacquired);
}

__attribute__((visibility("default"))) int cnd_signal(cnd_t* condvar) {
  return analysed_cond_wake(condvar, false, LOCKWATCH_CALL_SITE(),
                            [&](const RealFunctions& f) { return f.c11_cnd_signal(condvar); });
}

__attribute__((visibility("default"))) int cnd_broadcast(cnd_t* condvar) {
  return analysed_cond_wake(condvar, true, LOCKWATCH_CALL_SITE(),
                            [&](const RealFunctions& f) { return f.c11_cnd_broadcast(condvar); });
}

__attribute__((visibility("default"))) int thrd_join(thrd_t thread, int* result) {
  check_self_join(thread, LOCKWATCH_CALL_SITE());
  return blocking_call(BlockingKind::join, static_cast<uintptr_t>(thread), false,
                       [&](const RealFunctions& f) { return f.c11_thrd_join(thread, result); });
}

}  // extern "C"

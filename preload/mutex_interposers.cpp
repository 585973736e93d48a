// Interposers for pthread_mutex_*: report each event to the detector around the real call.
// Every interposer forwards untouched when lockwatch is not running yet or the caller is
// lockwatch itself (see runtime.h). Results are never changed: lockwatch only observes.
#include <errno.h>
#include <pthread.h>

#include "call_site.h"
#include "real_functions.h"
#include "runtime.h"

using lockwatch::CallSite;
using lockwatch::LockKind;
using lockwatch::preload::analysed_thread;
using lockwatch::preload::real;
using lockwatch::preload::RealFunctions;
using lockwatch::preload::resolved_functions;
using lockwatch::preload::Runtime;

namespace {

uintptr_t address_of(pthread_mutex_t* mutex) {
  return reinterpret_cast<uintptr_t>(mutex);
}

LockKind kind_of(const pthread_mutex_t* mutex) {
  return (mutex->__data.__kind & 3) == PTHREAD_MUTEX_RECURSIVE ? LockKind::recursive_mutex : LockKind::mutex;
}

// The shared shape of every acquiring call. `acquire` performs the real call with the
// functions it is given. EOWNERDEAD (robust mutex whose owner died) still hands the lock over.
template <typename Acquire>
__attribute__((always_inline)) inline int acquire_with(pthread_mutex_t* mutex, const CallSite& site, bool blocking,
                                                       Acquire&& acquire) {
  lockwatch::ThreadState* thread = analysed_thread();
  if (thread == nullptr) return acquire(real());
  lockwatch::Detector& detector = Runtime::instance().detector();
  detector.on_lock_requested(*thread, address_of(mutex), kind_of(mutex), site, blocking);
  const int result = acquire(resolved_functions);  // a ThreadState implies resolution is done
  if (result == 0 || result == EOWNERDEAD) detector.on_lock_acquired(*thread, address_of(mutex));
  return result;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int pthread_mutex_lock(pthread_mutex_t* mutex) {
  return acquire_with(mutex, LOCKWATCH_CALL_SITE(), true, [&](const RealFunctions& f) { return f.mutex_lock(mutex); });
}

__attribute__((visibility("default"))) int pthread_mutex_trylock(pthread_mutex_t* mutex) {
  return acquire_with(mutex, LOCKWATCH_CALL_SITE(), false,
                      [&](const RealFunctions& f) { return f.mutex_trylock(mutex); });
}

__attribute__((visibility("default"))) int pthread_mutex_timedlock(pthread_mutex_t* mutex,
                                                                   const struct timespec* deadline) {
  return acquire_with(mutex, LOCKWATCH_CALL_SITE(), true,
                      [&](const RealFunctions& f) { return f.mutex_timedlock(mutex, deadline); });
}

__attribute__((visibility("default"))) int pthread_mutex_clocklock(pthread_mutex_t* mutex, clockid_t clock,
                                                                   const struct timespec* deadline) {
  return acquire_with(mutex, LOCKWATCH_CALL_SITE(), true,
                      [&](const RealFunctions& f) { return f.mutex_clocklock(mutex, clock, deadline); });
}

__attribute__((visibility("default"))) int pthread_mutex_unlock(pthread_mutex_t* mutex) {
  if (lockwatch::ThreadState* thread = analysed_thread()) {
    Runtime::instance().detector().on_lock_released(*thread, address_of(mutex));
    return resolved_functions.mutex_unlock(mutex);
  }
  return real().mutex_unlock(mutex);
}

__attribute__((visibility("default"))) int pthread_mutex_init(pthread_mutex_t* mutex,
                                                              const pthread_mutexattr_t* attributes) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  const int result = real().mutex_init(mutex, attributes);
  if (lockwatch::ThreadState* thread = analysed_thread(); thread != nullptr && result == 0) {
    Runtime::instance().detector().on_lock_initialized(*thread, address_of(mutex), kind_of(mutex), site);
  }
  return result;
}

__attribute__((visibility("default"))) int pthread_mutex_destroy(pthread_mutex_t* mutex) {
  const int result = real().mutex_destroy(mutex);
  // A failed destroy (EBUSY: still locked) leaves the lock alive, and known.
  if (result == 0 && analysed_thread() != nullptr) Runtime::instance().detector().on_lock_destroyed(address_of(mutex));
  return result;
}

}  // extern "C"

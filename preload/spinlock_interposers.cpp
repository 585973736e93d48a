// Interposers for pthread_spin_*: spinlocks are locks like mutexes (edges, relock), but hold
// no owner: an unheld unlock is told only as unlocked or held by someone else.
#include <pthread.h>

#include "analysed_call.h"

using namespace lockwatch;
using namespace lockwatch::preload;

namespace {

// glibc's unlocked value differs by architecture (x86-64: 1, elsewhere: 0): ask it once.
bool spinlock_locked(const pthread_spinlock_t* lock) {
  static const int unlocked = [] {
    pthread_spinlock_t probe;
    real().spin_init(&probe, PTHREAD_PROCESS_PRIVATE);
    return static_cast<int>(probe);
  }();
  return *lock != unlocked;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int pthread_spin_lock(pthread_spinlock_t* lock) {
  return analysed_acquire({address_of(lock), LockKind::spinlock, LockMode::exclusive, true, true},
                          LOCKWATCH_CALL_SITE(), *lock != 0, [&](const RealFunctions& f) { return f.spin_lock(lock); },
                          [](int result) { return result == 0; });
}

__attribute__((visibility("default"))) int pthread_spin_trylock(pthread_spinlock_t* lock) {
  return analysed_acquire({address_of(lock), LockKind::spinlock, LockMode::exclusive, false, false},
                          LOCKWATCH_CALL_SITE(), false, [&](const RealFunctions& f) { return f.spin_trylock(lock); },
                          [](int result) { return result == 0; });
}

__attribute__((visibility("default"))) int pthread_spin_unlock(pthread_spinlock_t* lock) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  ThreadState* thread = analysed_thread();
  if (thread == nullptr) return real().spin_unlock(lock);
  if (!Runtime::instance().detector().on_lock_released(*thread, address_of(lock))) {
    const char* subkind = spinlock_locked(lock) ? "unlock_not_owner" : "unlock_unlocked";
    Runtime::instance().detector().report_misuse(*thread, misuse(subkind, site, address_of(lock), LockKind::spinlock));
  }
  return resolved_functions.spin_unlock(lock);
}

__attribute__((visibility("default"))) int pthread_spin_init(pthread_spinlock_t* lock, int shared) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  const int result = real().spin_init(lock, shared);
  if (ThreadState* thread = analysed_thread(); thread != nullptr && result == 0) {
    Runtime::instance().detector().on_lock_initialized(*thread, address_of(lock), LockKind::spinlock, site);
  }
  return result;
}

__attribute__((visibility("default"))) int pthread_spin_destroy(pthread_spinlock_t* lock) {
  const CallSite site = LOCKWATCH_CALL_SITE();
  ThreadState* thread = analysed_thread();
  if (thread != nullptr && spinlock_locked(lock)) {
    Runtime::instance().detector().report_misuse(
        *thread, misuse("destroy_locked", site, address_of(lock), LockKind::spinlock));
  }
  const int result = real().spin_destroy(lock);
  if (thread != nullptr && result == 0) Runtime::instance().detector().on_lock_destroyed(*thread, address_of(lock), site);
  return result;
}

}  // extern "C"

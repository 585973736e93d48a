// RealFunctions: the implementations the interposers forward to.
// Resolved with dlsym(RTLD_NEXT) (dlvsym for the condition variables, whose current ABI is
// GLIBC_2.3.2), so another interposer later in the chain keeps working. Until resolution is
// complete, the mutex and rwlock entries already point at glibc's own versioned entry points
// (__pthread_mutex_lock@GLIBC_2.2.5 and friends), bound at link time: a lock call that comes
// from inside dlsym itself (a custom allocator) still has somewhere to go. Nothing else is
// called from inside dlsym.
#pragma once

#include <pthread.h>
#include <semaphore.h>
#include <threads.h>
#include <time.h>

#include <atomic>

namespace lockwatch::preload {

struct RealFunctions {
  int (*mutex_init)(pthread_mutex_t*, const pthread_mutexattr_t*);
  int (*mutex_destroy)(pthread_mutex_t*);
  int (*mutex_lock)(pthread_mutex_t*);
  int (*mutex_trylock)(pthread_mutex_t*);
  int (*mutex_timedlock)(pthread_mutex_t*, const struct timespec*);
  int (*mutex_clocklock)(pthread_mutex_t*, clockid_t, const struct timespec*);
  int (*mutex_unlock)(pthread_mutex_t*);

  int (*rwlock_init)(pthread_rwlock_t*, const pthread_rwlockattr_t*);
  int (*rwlock_destroy)(pthread_rwlock_t*);
  int (*rwlock_rdlock)(pthread_rwlock_t*);
  int (*rwlock_tryrdlock)(pthread_rwlock_t*);
  int (*rwlock_timedrdlock)(pthread_rwlock_t*, const struct timespec*);
  int (*rwlock_clockrdlock)(pthread_rwlock_t*, clockid_t, const struct timespec*);
  int (*rwlock_wrlock)(pthread_rwlock_t*);
  int (*rwlock_trywrlock)(pthread_rwlock_t*);
  int (*rwlock_timedwrlock)(pthread_rwlock_t*, const struct timespec*);
  int (*rwlock_clockwrlock)(pthread_rwlock_t*, clockid_t, const struct timespec*);
  int (*rwlock_unlock)(pthread_rwlock_t*);

  int (*spin_init)(pthread_spinlock_t*, int);
  int (*spin_destroy)(pthread_spinlock_t*);
  int (*spin_lock)(pthread_spinlock_t*);
  int (*spin_trylock)(pthread_spinlock_t*);
  int (*spin_unlock)(pthread_spinlock_t*);

  int (*cond_init)(pthread_cond_t*, const pthread_condattr_t*);
  int (*cond_destroy)(pthread_cond_t*);
  int (*cond_wait)(pthread_cond_t*, pthread_mutex_t*);
  int (*cond_timedwait)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*);
  int (*cond_clockwait)(pthread_cond_t*, pthread_mutex_t*, clockid_t, const struct timespec*);
  int (*cond_signal)(pthread_cond_t*);
  int (*cond_broadcast)(pthread_cond_t*);

  int (*barrier_init)(pthread_barrier_t*, const pthread_barrierattr_t*, unsigned);
  int (*barrier_destroy)(pthread_barrier_t*);
  int (*barrier_wait)(pthread_barrier_t*);

  int (*sem_wait)(sem_t*);
  int (*sem_timedwait)(sem_t*, const struct timespec*);
  int (*sem_clockwait)(sem_t*, clockid_t, const struct timespec*);

  int (*join)(pthread_t, void**);
  int (*timedjoin)(pthread_t, void**, const struct timespec*);
  int (*clockjoin)(pthread_t, void**, clockid_t, const struct timespec*);

  int (*c11_mtx_init)(mtx_t*, int);
  void (*c11_mtx_destroy)(mtx_t*);
  int (*c11_mtx_lock)(mtx_t*);
  int (*c11_mtx_trylock)(mtx_t*);
  int (*c11_mtx_timedlock)(mtx_t*, const struct timespec*);
  int (*c11_mtx_unlock)(mtx_t*);
  int (*c11_cnd_wait)(cnd_t*, mtx_t*);
  int (*c11_cnd_timedwait)(cnd_t*, mtx_t*, const struct timespec*);
  int (*c11_cnd_signal)(cnd_t*);
  int (*c11_cnd_broadcast)(cnd_t*);
  int (*c11_thrd_join)(thrd_t, int*);
  int (*create)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  int (*c11_thrd_create)(thrd_t*, thrd_start_t, void*);
};

enum ResolutionState : int { kUnresolved, kResolving, kResolved };
extern RealFunctions resolved_functions;
extern std::atomic<int> resolution_state;
// Slow path of real(): resolves once (see the note above for calls made meanwhile).
const RealFunctions& resolve_real_functions();

// Thread-safe; resolves on first use.
inline const RealFunctions& real() {
  return resolution_state.load(std::memory_order_acquire) == kResolved ? resolved_functions
                                                                       : resolve_real_functions();
}

}  // namespace lockwatch::preload

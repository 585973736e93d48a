// dlsym(RTLD_NEXT) resolution with link-time glibc fallbacks; see real_functions.h.
#include "real_functions.h"

#include <dlfcn.h>
#include <sched.h>

extern "C" {
int __pthread_mutex_init(pthread_mutex_t*, const pthread_mutexattr_t*);
int __pthread_mutex_destroy(pthread_mutex_t*);
int __pthread_mutex_lock(pthread_mutex_t*);
int __pthread_mutex_trylock(pthread_mutex_t*);
int __pthread_mutex_unlock(pthread_mutex_t*);
int __pthread_rwlock_init(pthread_rwlock_t*, const pthread_rwlockattr_t*);
int __pthread_rwlock_destroy(pthread_rwlock_t*);
int __pthread_rwlock_rdlock(pthread_rwlock_t*);
int __pthread_rwlock_tryrdlock(pthread_rwlock_t*);
int __pthread_rwlock_wrlock(pthread_rwlock_t*);
int __pthread_rwlock_trywrlock(pthread_rwlock_t*);
int __pthread_rwlock_unlock(pthread_rwlock_t*);
}
__asm__(".symver __pthread_mutex_init,__pthread_mutex_init@GLIBC_2.2.5");
__asm__(".symver __pthread_mutex_destroy,__pthread_mutex_destroy@GLIBC_2.2.5");
__asm__(".symver __pthread_mutex_lock,__pthread_mutex_lock@GLIBC_2.2.5");
__asm__(".symver __pthread_mutex_trylock,__pthread_mutex_trylock@GLIBC_2.2.5");
__asm__(".symver __pthread_mutex_unlock,__pthread_mutex_unlock@GLIBC_2.2.5");
__asm__(".symver __pthread_rwlock_init,__pthread_rwlock_init@GLIBC_2.2.5");
__asm__(".symver __pthread_rwlock_destroy,__pthread_rwlock_destroy@GLIBC_2.2.5");
__asm__(".symver __pthread_rwlock_rdlock,__pthread_rwlock_rdlock@GLIBC_2.2.5");
__asm__(".symver __pthread_rwlock_tryrdlock,__pthread_rwlock_tryrdlock@GLIBC_2.2.5");
__asm__(".symver __pthread_rwlock_wrlock,__pthread_rwlock_wrlock@GLIBC_2.2.5");
__asm__(".symver __pthread_rwlock_trywrlock,__pthread_rwlock_trywrlock@GLIBC_2.2.5");
__asm__(".symver __pthread_rwlock_unlock,__pthread_rwlock_unlock@GLIBC_2.2.5");

namespace lockwatch::preload {

// Mutex and rwlock entries start at glibc's own implementations (see real_functions.h); the
// others stay null until resolution, which nothing reaches before it is done.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
constinit RealFunctions resolved_functions = {
    .mutex_init = __pthread_mutex_init,
    .mutex_destroy = __pthread_mutex_destroy,
    .mutex_lock = __pthread_mutex_lock,
    .mutex_trylock = __pthread_mutex_trylock,
    .mutex_unlock = __pthread_mutex_unlock,
    .rwlock_init = __pthread_rwlock_init,
    .rwlock_destroy = __pthread_rwlock_destroy,
    .rwlock_rdlock = __pthread_rwlock_rdlock,
    .rwlock_tryrdlock = __pthread_rwlock_tryrdlock,
    .rwlock_wrlock = __pthread_rwlock_wrlock,
    .rwlock_trywrlock = __pthread_rwlock_trywrlock,
    .rwlock_unlock = __pthread_rwlock_unlock,
};
#pragma GCC diagnostic pop
std::atomic<int> resolution_state{kUnresolved};

namespace {

__thread bool resolving_here __attribute__((tls_model("initial-exec"))) = false;

template <typename F>
void resolve(F& slot, const char* name, const char* version = nullptr) {
  void* symbol = version != nullptr ? dlvsym(RTLD_NEXT, name, version) : nullptr;
  if (symbol == nullptr) symbol = dlsym(RTLD_NEXT, name);
  if (symbol != nullptr) slot = reinterpret_cast<F>(symbol);
}

}  // namespace

const RealFunctions& resolve_real_functions() {
  RealFunctions& f = resolved_functions;
  std::atomic<int>& state = resolution_state;
  // Re-entered from inside dlsym on this thread: what is resolved so far serves.
  if (state.load(std::memory_order_acquire) == kResolved || resolving_here) return f;
  int expected = kUnresolved;
  if (!state.compare_exchange_strong(expected, kResolving, std::memory_order_acq_rel)) {
    // Another thread is resolving; it takes microseconds.
    while (state.load(std::memory_order_acquire) != kResolved) sched_yield();
    return f;
  }
  resolving_here = true;
  resolve(f.mutex_init, "pthread_mutex_init");
  resolve(f.mutex_destroy, "pthread_mutex_destroy");
  resolve(f.mutex_lock, "pthread_mutex_lock");
  resolve(f.mutex_trylock, "pthread_mutex_trylock");
  resolve(f.mutex_timedlock, "pthread_mutex_timedlock");
  resolve(f.mutex_clocklock, "pthread_mutex_clocklock");
  resolve(f.mutex_unlock, "pthread_mutex_unlock");
  resolve(f.rwlock_init, "pthread_rwlock_init");
  resolve(f.rwlock_destroy, "pthread_rwlock_destroy");
  resolve(f.rwlock_rdlock, "pthread_rwlock_rdlock");
  resolve(f.rwlock_tryrdlock, "pthread_rwlock_tryrdlock");
  resolve(f.rwlock_timedrdlock, "pthread_rwlock_timedrdlock");
  resolve(f.rwlock_clockrdlock, "pthread_rwlock_clockrdlock");
  resolve(f.rwlock_wrlock, "pthread_rwlock_wrlock");
  resolve(f.rwlock_trywrlock, "pthread_rwlock_trywrlock");
  resolve(f.rwlock_timedwrlock, "pthread_rwlock_timedwrlock");
  resolve(f.rwlock_clockwrlock, "pthread_rwlock_clockwrlock");
  resolve(f.rwlock_unlock, "pthread_rwlock_unlock");
  resolve(f.spin_init, "pthread_spin_init");
  resolve(f.spin_destroy, "pthread_spin_destroy");
  resolve(f.spin_lock, "pthread_spin_lock");
  resolve(f.spin_trylock, "pthread_spin_trylock");
  resolve(f.spin_unlock, "pthread_spin_unlock");
  // pthread_cond_* exist in two ABIs; programs built since glibc 2.3.2 use the newer one.
  resolve(f.cond_init, "pthread_cond_init", "GLIBC_2.3.2");
  resolve(f.cond_destroy, "pthread_cond_destroy", "GLIBC_2.3.2");
  resolve(f.cond_wait, "pthread_cond_wait", "GLIBC_2.3.2");
  resolve(f.cond_timedwait, "pthread_cond_timedwait", "GLIBC_2.3.2");
  resolve(f.cond_clockwait, "pthread_cond_clockwait");
  resolve(f.cond_signal, "pthread_cond_signal", "GLIBC_2.3.2");
  resolve(f.cond_broadcast, "pthread_cond_broadcast", "GLIBC_2.3.2");
  resolve(f.barrier_init, "pthread_barrier_init");
  resolve(f.barrier_destroy, "pthread_barrier_destroy");
  resolve(f.barrier_wait, "pthread_barrier_wait");
  resolve(f.sem_wait, "sem_wait");
  resolve(f.sem_timedwait, "sem_timedwait");
  resolve(f.sem_clockwait, "sem_clockwait");
  resolve(f.join, "pthread_join");
  resolve(f.timedjoin, "pthread_timedjoin_np");
  resolve(f.clockjoin, "pthread_clockjoin_np");
  resolve(f.c11_mtx_init, "mtx_init");
  resolve(f.c11_mtx_destroy, "mtx_destroy");
  resolve(f.c11_mtx_lock, "mtx_lock");
  resolve(f.c11_mtx_trylock, "mtx_trylock");
  resolve(f.c11_mtx_timedlock, "mtx_timedlock");
  resolve(f.c11_mtx_unlock, "mtx_unlock");
  resolve(f.c11_cnd_wait, "cnd_wait");
  resolve(f.c11_cnd_timedwait, "cnd_timedwait");
  resolve(f.c11_cnd_signal, "cnd_signal");
  resolve(f.c11_cnd_broadcast, "cnd_broadcast");
  resolve(f.c11_thrd_join, "thrd_join");
  resolve(f.create, "pthread_create");
  resolve(f.c11_thrd_create, "thrd_create");
  resolving_here = false;
  state.store(kResolved, std::memory_order_release);
  return f;
}

}  // namespace lockwatch::preload

// dlsym(RTLD_NEXT) resolution with link-time glibc fallbacks; see real_functions.h.
#include "real_functions.h"

#include <dlfcn.h>

#include <sched.h>

#include <atomic>

extern "C" {
int __pthread_mutex_init(pthread_mutex_t*, const pthread_mutexattr_t*);
int __pthread_mutex_destroy(pthread_mutex_t*);
int __pthread_mutex_lock(pthread_mutex_t*);
int __pthread_mutex_trylock(pthread_mutex_t*);
int __pthread_mutex_unlock(pthread_mutex_t*);
}
__asm__(".symver __pthread_mutex_init,__pthread_mutex_init@GLIBC_2.2.5");
__asm__(".symver __pthread_mutex_destroy,__pthread_mutex_destroy@GLIBC_2.2.5");
__asm__(".symver __pthread_mutex_lock,__pthread_mutex_lock@GLIBC_2.2.5");
__asm__(".symver __pthread_mutex_trylock,__pthread_mutex_trylock@GLIBC_2.2.5");
__asm__(".symver __pthread_mutex_unlock,__pthread_mutex_unlock@GLIBC_2.2.5");

namespace lockwatch::preload {
namespace {

// The timed variants have no unversioned alias. They are only needed if dlsym itself took a
// timed lock, which glibc never does; the untimed lock stands in for that impossible case.
int fallback_timedlock(pthread_mutex_t* mutex, const struct timespec*) {
  return __pthread_mutex_lock(mutex);
}
int fallback_clocklock(pthread_mutex_t* mutex, clockid_t, const struct timespec*) {
  return __pthread_mutex_lock(mutex);
}

constinit const RealFunctions kGlibcFallbacks = {
    __pthread_mutex_init, __pthread_mutex_destroy, __pthread_mutex_lock,   __pthread_mutex_trylock,
    fallback_timedlock,   fallback_clocklock,      __pthread_mutex_unlock,
};

__thread bool resolving_here __attribute__((tls_model("initial-exec"))) = false;

template <typename F>
void resolve(F& slot, const char* name, F fallback) {
  void* symbol = dlsym(RTLD_NEXT, name);
  slot = symbol != nullptr ? reinterpret_cast<F>(symbol) : fallback;
}

}  // namespace

RealFunctions resolved_functions;
std::atomic<int> resolution_state{kUnresolved};

const RealFunctions& resolve_real_functions() {
  RealFunctions& resolved = resolved_functions;
  std::atomic<int>& state = resolution_state;
  if (state.load(std::memory_order_acquire) == kResolved) return resolved;
  // Re-entered from inside dlsym on this thread: glibc's own entry points serve.
  if (resolving_here) return kGlibcFallbacks;
  int expected = kUnresolved;
  if (!state.compare_exchange_strong(expected, kResolving, std::memory_order_acq_rel)) {
    // Another thread is resolving; it takes microseconds.
    while (state.load(std::memory_order_acquire) != kResolved) sched_yield();
    return resolved;
  }
  resolving_here = true;
  const RealFunctions& f = kGlibcFallbacks;
  resolve(resolved.mutex_init, "pthread_mutex_init", f.mutex_init);
  resolve(resolved.mutex_destroy, "pthread_mutex_destroy", f.mutex_destroy);
  resolve(resolved.mutex_lock, "pthread_mutex_lock", f.mutex_lock);
  resolve(resolved.mutex_trylock, "pthread_mutex_trylock", f.mutex_trylock);
  resolve(resolved.mutex_timedlock, "pthread_mutex_timedlock", f.mutex_timedlock);
  resolve(resolved.mutex_clocklock, "pthread_mutex_clocklock", f.mutex_clocklock);
  resolve(resolved.mutex_unlock, "pthread_mutex_unlock", f.mutex_unlock);
  resolving_here = false;
  state.store(kResolved, std::memory_order_release);
  return resolved;
}

}  // namespace lockwatch::preload

// RealFunctions: the implementations the interposers forward to.
// Resolved with dlsym(RTLD_NEXT), so another interposer later in the chain keeps working.
// Until resolution is complete (a call that arrives before the constructor, or from inside
// dlsym itself), calls go to glibc's own entry points, bound at link time through their
// versioned aliases (__pthread_mutex_lock@GLIBC_2.2.5 and friends): no bootstrap window
// exists in which a lock call has nowhere to go.
#pragma once

#include <pthread.h>
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
};

enum ResolutionState : int { kUnresolved, kResolving, kResolved };
extern RealFunctions resolved_functions;
extern std::atomic<int> resolution_state;
// Slow path of real(): resolves once; glibc's fallbacks while resolution is under way.
const RealFunctions& resolve_real_functions();

// Thread-safe; never null members. Resolves on first use.
inline const RealFunctions& real() {
  return resolution_state.load(std::memory_order_acquire) == kResolved ? resolved_functions : resolve_real_functions();
}

}  // namespace lockwatch::preload

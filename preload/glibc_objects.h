// What glibc's own memory says about a synchronization object: is this mutex locked, by
// which thread, was it destroyed, is this rwlock held. Misuse checks read it on their slow
// paths only (an unlock of a lock the thread does not hold, a destroy, an init), so the fast
// path never touches more than the lock itself. Layouts are glibc's x86-64 and aarch64 ones
// (glibc 2.34+, where libpthread lives in libc); C11 mtx_t and cnd_t share them.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include "lock_registry.h"

namespace lockwatch::preload {

// glibc marks a destroyed mutex with kind -1 (and refuses it with EINVAL from then on).
inline bool mutex_destroyed(const pthread_mutex_t* mutex) { return mutex->__data.__kind == -1; }
inline bool mutex_locked(const pthread_mutex_t* mutex) { return mutex->__data.__lock != 0; }
// The kernel id of the owner (glibc records it for every mutex type), 0 when unlocked.
inline pid_t mutex_owner(const pthread_mutex_t* mutex) { return mutex->__data.__owner; }

// Every bit glibc may keep in a mutex's kind word: type, robust, priority inheritance and
// protection, process-shared, elision, and the priority ceiling. Anything else is not a mutex
// (or a destroyed one: -1).
inline bool mutex_kind_valid(const pthread_mutex_t* mutex) {
  constexpr unsigned kValidBits = 0x3u | 0x10u | 0x20u | 0x40u | 0x80u | 0x100u | 0x200u | 0xfff80000u;
  return (static_cast<unsigned>(mutex->__data.__kind) & ~kValidBits) == 0;  // -1 fails too
}

inline LockKind mutex_kind(const pthread_mutex_t* mutex) {
  static_assert(PTHREAD_MUTEX_RECURSIVE == static_cast<int>(LockKind::recursive_mutex) &&
                PTHREAD_MUTEX_ERRORCHECK == static_cast<int>(LockKind::errorcheck_mutex) &&
                PTHREAD_MUTEX_ADAPTIVE_NP == static_cast<int>(LockKind::adaptive_mutex));
  return static_cast<LockKind>(mutex->__data.__kind & 3);
}

// Readers of a reader-preferring rwlock never wait for readers; those of a writer-preferring
// (non-recursive) one wait behind queued writers, so their read locks order like writes.
inline LockMode read_mode(const pthread_rwlock_t* rwlock) {
  return rwlock->__data.__flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP ? LockMode::exclusive
                                                                                : LockMode::read;
}
inline bool rwlock_read_held(const pthread_rwlock_t* rwlock) { return (rwlock->__data.__readers >> 3) != 0; }
inline bool rwlock_write_held(const pthread_rwlock_t* rwlock) {
  constexpr unsigned kWriteLocked = 2;  // PTHREAD_RWLOCK_WRLOCKED in glibc's nptl
  return (rwlock->__data.__readers & kWriteLocked) != 0;
}
inline bool rwlock_held(const pthread_rwlock_t* rwlock) { return rwlock_read_held(rwlock) || rwlock_write_held(rwlock); }
// How many threads trip the barrier (glibc's struct pthread_barrier: in, current_round, count).
inline uint32_t barrier_count(const pthread_barrier_t* barrier) {
  return reinterpret_cast<const unsigned int*>(barrier)[2];
}

inline pid_t rwlock_writer(const pthread_rwlock_t* rwlock) { return rwlock->__data.__cur_writer; }

}  // namespace lockwatch::preload

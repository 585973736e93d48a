// misuse_relock: a thread locks an error-checking mutex it already holds.
// glibc refuses with EDEADLK instead of deadlocking; lockwatch must still report exactly one
// misuse:relock (an error) whose stack names lock_twice, and the program must still see EDEADLK.
// Natively: prints "EDEADLK", exits 0.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

int lock_twice(pthread_mutex_t *lock) {
  pthread_mutex_lock(lock);
  int second = pthread_mutex_lock(lock);
  pthread_mutex_unlock(lock);
  return second;
}

int main(void) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_t lock;
  pthread_mutex_init(&lock, &attributes);
  pthread_mutexattr_destroy(&attributes);
  int second = lock_twice(&lock);
  pthread_mutex_destroy(&lock);
  printf("misuse_relock: second lock returned %s\n", second == EDEADLK ? "EDEADLK" : "something else");
  return 0;
}

// deadlock_three_threads: three threads each hold one mutex and then want the next one's (a
// 3-cycle), meeting at a barrier first, so they always deadlock (natively the program hangs).
// Expected: the 3-lock inversion, then a deadlock of 3 threads, then exit with exitcode.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

enum { kThreads = 3 };
static pthread_mutex_t locks[kThreads] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                          PTHREAD_MUTEX_INITIALIZER};
static pthread_barrier_t all_hold_one;

static void* hold_mine_want_next(void* index_pointer) {
  const int index = (int)(intptr_t)index_pointer;
  pthread_mutex_lock(&locks[index]);
  pthread_barrier_wait(&all_hold_one);
  pthread_mutex_lock(&locks[(index + 1) % kThreads]);
  pthread_mutex_unlock(&locks[(index + 1) % kThreads]);
  pthread_mutex_unlock(&locks[index]);
  return NULL;
}

int main(void) {
  pthread_barrier_init(&all_hold_one, NULL, kThreads);
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; ++i) pthread_create(&threads[i], NULL, hold_mine_want_next, (void*)(intptr_t)i);
  for (int i = 0; i < kThreads; ++i) pthread_join(threads[i], NULL);
  puts("deadlock_three_threads: not reached");
  return 0;
}

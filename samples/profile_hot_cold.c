// profile_hot_cold: 4 threads; each takes one hot lock (short critical sections, all the
// time) and, now and then, its own cold lock. Nothing is a bug. Expected profile: the hot lock
// ranks first by wait time and by contended acquisitions; the cold locks show no contention.
#include <pthread.h>
#include <stdio.h>

enum { kThreads = 4, kRounds = 200000 };

static pthread_mutex_t hot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cold_locks[kThreads] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                               PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static unsigned long shared_counter;
static unsigned long private_counters[kThreads];

static void bump_shared_counter(void) {
  pthread_mutex_lock(&hot_lock);
  for (int i = 0; i < 50; ++i) shared_counter += (unsigned long)i;
  pthread_mutex_unlock(&hot_lock);
}

static void bump_private_counter(int self) {
  pthread_mutex_lock(&cold_locks[self]);
  ++private_counters[self];
  pthread_mutex_unlock(&cold_locks[self]);
}

static void* worker(void* slot) {
  const int self = *(const int*)slot;
  for (int round = 0; round < kRounds; ++round) {
    bump_shared_counter();
    if (round % 100 == 0) bump_private_counter(self);
  }
  return NULL;
}

int main(void) {
  static const int slots[kThreads] = {0, 1, 2, 3};
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; ++i) pthread_create(&threads[i], NULL, worker, (void*)&slots[i]);
  for (int i = 0; i < kThreads; ++i) pthread_join(threads[i], NULL);
  printf("profile_hot_cold: %lu\n", shared_counter);
  return 0;
}

// ordered: heavy, correct locking; lockwatch must report nothing.
// 8 threads each lock many random subsets of 2-4 of 16 mutexes, always in increasing index order
// (one global order), some acquisitions by try-lock, and unlock in reverse. The output depends only
// on the fixed per-thread seeds, so it is the same natively and under the preload. Exits 0.
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 8
#define LOCKS 16
#define ITERATIONS 10000
#define TRYLOCK_EVERY 4  // every 4th iteration acquires by try-lock, falling back to lock

static pthread_mutex_t locks[LOCKS];
static long acquisitions[LOCKS];  // acquisitions[i] is guarded by locks[i]

// xorshift32: a per-thread generator, so each thread's sequence of subsets is fixed.
static uint32_t next_random(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

// A set of 2 to 4 distinct lock indices, as a bit mask.
static unsigned random_subset(uint32_t *state) {
  int wanted = 2 + (int)(next_random(state) % 3);
  unsigned subset = 0;
  for (int chosen = 0; chosen < wanted;) {
    unsigned bit = 1u << (next_random(state) % LOCKS);
    if (!(subset & bit)) {
      subset |= bit;
      chosen++;
    }
  }
  return subset;
}

static void acquire(pthread_mutex_t *lock, int by_trylock) {
  if (by_trylock) {
    int status = pthread_mutex_trylock(lock);
    if (status == 0) return;
    if (status != EBUSY) {
      fprintf(stderr, "ordered: pthread_mutex_trylock failed: %d\n", status);
      exit(1);
    }
  }
  pthread_mutex_lock(lock);
}

void *lock_subsets_in_order(void *seed_as_pointer) {
  uint32_t state = (uint32_t)(uintptr_t)seed_as_pointer;
  for (int iteration = 0; iteration < ITERATIONS; iteration++) {
    unsigned subset = random_subset(&state);
    int by_trylock = iteration % TRYLOCK_EVERY == 0;
    for (int i = 0; i < LOCKS; i++) {
      if (subset & (1u << i)) {
        acquire(&locks[i], by_trylock);
        acquisitions[i]++;
      }
    }
    for (int i = LOCKS - 1; i >= 0; i--) {
      if (subset & (1u << i)) pthread_mutex_unlock(&locks[i]);
    }
  }
  return NULL;
}

int main(void) {
  for (int i = 0; i < LOCKS; i++) pthread_mutex_init(&locks[i], NULL);
  pthread_t threads[THREADS];
  for (int t = 0; t < THREADS; t++) {
    uintptr_t seed = 2463534242u + (uintptr_t)t * 7919u;  // xorshift needs a non-zero seed
    if (pthread_create(&threads[t], NULL, lock_subsets_in_order, (void *)seed) != 0) {
      fprintf(stderr, "ordered: cannot create thread %d\n", t);
      return 1;
    }
  }
  for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
  long total = 0;
  for (int i = 0; i < LOCKS; i++) {
    total += acquisitions[i];
    pthread_mutex_destroy(&locks[i]);
  }
  printf("ordered: %d threads, %ld acquisitions\n", THREADS, total);
  return 0;
}

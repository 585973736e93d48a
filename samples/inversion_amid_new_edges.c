// inversion_amid_new_edges: one lock-order inversion while four threads keep making new
// lock-order edges. Each thread locks 25,000 random pairs of 4,000 mutexes in address order
// (one global order: no cycle among them), so the threads often find the lock-order graph held
// by another; thread 0 first takes X then Y, and thread 3, once thread 0 is past that, takes Y
// then X. lockwatch must report exactly that inversion, with both stacks, whenever its edges
// reach the graph. Prints a checksum of the work; exits 0 natively.
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { kThreads = 4, kLocks = 4000, kPairs = 25000 };

static pthread_mutex_t *locks;
static long counts[kLocks];  // counts[i] is guarded by locks[i]
static pthread_mutex_t x = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t y = PTHREAD_MUTEX_INITIALIZER;
static atomic_int x_then_y_done;

__attribute__((noinline)) static void lock_x_then_y(void) {
  pthread_mutex_lock(&x);
  pthread_mutex_lock(&y);
  pthread_mutex_unlock(&y);
  pthread_mutex_unlock(&x);
}

__attribute__((noinline)) static void lock_y_then_x(void) {
  pthread_mutex_lock(&y);
  pthread_mutex_lock(&x);
  pthread_mutex_unlock(&x);
  pthread_mutex_unlock(&y);
}

static uint32_t next_random(uint32_t *state) {
  uint32_t v = *state;
  v ^= v << 13;
  v ^= v >> 17;
  v ^= v << 5;
  return *state = v;
}

static void *worker(void *argument) {
  const int index = (int)(intptr_t)argument;
  if (index == 0) {
    lock_x_then_y();
    atomic_store(&x_then_y_done, 1);
  }
  uint32_t state = 2463534242u + (uint32_t)index * 7919u;
  for (int i = 0; i < kPairs; ++i) {
    uint32_t first = next_random(&state) % kLocks;
    uint32_t second = next_random(&state) % (kLocks - 1);
    second += second >= first;
    const uint32_t low = first < second ? first : second;
    const uint32_t high = first < second ? second : first;
    pthread_mutex_lock(&locks[low]);
    pthread_mutex_lock(&locks[high]);
    counts[low]++;
    counts[high]++;
    pthread_mutex_unlock(&locks[high]);
    pthread_mutex_unlock(&locks[low]);
  }
  if (index == kThreads - 1) {
    while (!atomic_load(&x_then_y_done)) sched_yield();
    lock_y_then_x();
  }
  return NULL;
}

int main(void) {
  locks = calloc(kLocks, sizeof *locks);
  if (locks == NULL) return 1;
  for (int i = 0; i < kLocks; ++i) pthread_mutex_init(&locks[i], NULL);
  pthread_t threads[kThreads];
  for (int i = 0; i < kThreads; ++i) pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i);
  for (int i = 0; i < kThreads; ++i) pthread_join(threads[i], NULL);
  long total = 0;
  for (int i = 0; i < kLocks; ++i) total += counts[i];
  printf("%ld\n", total);
  for (int i = 0; i < kLocks; ++i) pthread_mutex_destroy(&locks[i]);
  free(locks);
  return 0;
}

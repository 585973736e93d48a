/* bench_many_locks ITERATIONS [LOCKS]: 4 threads each pick random pairs out of LOCKS mutexes
 * (10,000 by default) and lock both in address order, then unlock; ITERATIONS pairs in all. An op
 * is one lock+unlock, so a pair is 2 ops. Every new pair is a new lock-order edge, none closes a
 * cycle: the graph grows large. The mutexes are allocated and initialised before the timing. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_harness.h"

static pthread_mutex_t *locks;
static unsigned long long lock_count;

static void prepare(unsigned long long size) {
  lock_count = size < 2 ? 2 : size;
  locks = calloc(lock_count, sizeof *locks);
  if (!locks) {
    perror("calloc");
    exit(1);
  }
  for (unsigned long long i = 0; i < lock_count; ++i) {
    pthread_mutex_init(&locks[i], NULL);
  }
}

static void lock_pairs(unsigned thread_index, unsigned long long iterations) {
  unsigned long long random_state = 0x9E3779B97F4A7C15ULL * (thread_index + 1);
  for (unsigned long long i = 0; i < iterations; ++i) {
    unsigned long long first = bench_random(&random_state) % lock_count;
    unsigned long long second = bench_random(&random_state) % (lock_count - 1);
    second += second >= first;                /* a different lock */
    pthread_mutex_t *low = &locks[first < second ? first : second];
    pthread_mutex_t *high = &locks[first < second ? second : first];
    pthread_mutex_lock(low);
    pthread_mutex_lock(high);
    pthread_mutex_unlock(high);
    pthread_mutex_unlock(low);
  }
}

static void run(unsigned long long iterations) { bench_run_threads(4, iterations, lock_pairs); }

int main(int argc, char **argv) {
  static const struct bench_workload workload = {"many_locks", 2, run, "LOCKS", 10000, prepare};
  return bench_main(argc, argv, &workload);
}

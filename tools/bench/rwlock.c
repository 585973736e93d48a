/* bench_rwlock ITERATIONS: 4 threads share one pthread_rwlock_t, ITERATIONS acquisitions in all:
 * 9 in 10 read a shared value under the read lock, 1 in 10 increments it under the write lock.
 * An op is one lock+unlock of either kind. */
#include <pthread.h>

#include "bench_harness.h"

static pthread_rwlock_t shared_lock = PTHREAD_RWLOCK_INITIALIZER;
static unsigned long long shared_value;
static unsigned long long read_sums[4]; /* one per thread, written once: no race to report */

static void read_or_write(unsigned thread_index, unsigned long long iterations) {
  unsigned long long random_state = 0xD1B54A32D192ED03ULL * (thread_index + 1), read_sum = 0;
  for (unsigned long long i = 0; i < iterations; ++i) {
    if (bench_random(&random_state) % 10 == 0) {
      pthread_rwlock_wrlock(&shared_lock);
      ++shared_value;
    } else {
      pthread_rwlock_rdlock(&shared_lock);
      read_sum += *(volatile unsigned long long *)&shared_value;
    }
    pthread_rwlock_unlock(&shared_lock);
  }
  read_sums[thread_index] = read_sum;
}

static void run(unsigned long long iterations) { bench_run_threads(4, iterations, read_or_write); }

int main(int argc, char **argv) {
  static const struct bench_workload workload = {"rwlock", 1, run, 0, 0, 0};
  return bench_main(argc, argv, &workload);
}

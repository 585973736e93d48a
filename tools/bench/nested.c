/* bench_nested ITERATIONS: one thread locks A, B, C and unlocks C, B, A, ITERATIONS times. An op
 * is one lock+unlock pair, so a round is 3 ops and ns_per_op = elapsed / (3 * ITERATIONS); the
 * difference to bench_uncontended is the cost of holding locks while taking others (the
 * lock-order edges A->B, B->C, A->C, all already known after the first round). */
#include "bench_harness.h"

#include <pthread.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;

static void run(unsigned long long iterations) {
  for (unsigned long long i = 0; i < iterations; ++i) {
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_c);
    pthread_mutex_unlock(&lock_c);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
  }
}

int main(int argc, char **argv) {
  static const struct bench_workload workload = {"nested", 3, run, 0, 0, 0};
  return bench_main(argc, argv, &workload);
}

/* bench_uncontended ITERATIONS: one thread locks and unlocks one mutex ITERATIONS times; an op
 * is one lock+unlock pair. The cheapest path there is, so it shows the fixed cost per call. */
#include "bench_harness.h"

#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void run(unsigned long long iterations) {
  for (unsigned long long i = 0; i < iterations; ++i) {
    pthread_mutex_lock(&lock);
    pthread_mutex_unlock(&lock);
  }
}

int main(int argc, char **argv) {
  static const struct bench_workload workload = {"uncontended", 1, run, 0, 0, 0};
  return bench_main(argc, argv, &workload);
}

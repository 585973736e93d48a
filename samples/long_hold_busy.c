// long_hold_busy: a thread computes for about 1.5 s while holding a mutex (no sleep: it runs
// the whole time), then releases it; the program ends by itself with status 0. The thread has
// a minimal alternate signal stack (SIGSTKSZ), too small for a signal frame on some machines:
// lockwatch's handler must not run on it. Expected
// warnings: one long_hold of the mutex whose holder stack was sampled while it ran, inside
// checksum_holding_lock, and the long_hold_end with the total.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile unsigned long checksum;

static double seconds_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void checksum_holding_lock(void) {
  pthread_mutex_lock(&table_lock);
  const double start = seconds_now();
  while (seconds_now() - start < 1.5) {
    for (unsigned long i = 0; i < 100000; ++i) checksum += i * i;
  }
  pthread_mutex_unlock(&table_lock);
}

static void* worker(void* unused) {
  (void)unused;
  static char alternate[SIGSTKSZ];
  stack_t small = {.ss_sp = alternate, .ss_size = sizeof alternate, .ss_flags = 0};
  sigaltstack(&small, NULL);
  checksum_holding_lock();
  return NULL;
}

int main(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, worker, NULL);
  pthread_join(thread, NULL);
  puts("long_hold_busy: done");
  return 0;
}

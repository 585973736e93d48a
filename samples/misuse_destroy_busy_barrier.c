// misuse_destroy_busy_barrier: a barrier for 3 threads is destroyed while one thread waits at
// it (the other two never come). glibc's destroy then waits for the waiter forever, so the
// destroy runs in a thread of its own and main ends the process with exit() after a while.
// Expected: misuse:destroy_busy on the barrier, with the waiter's wait as related evidence.
// Natively: exits 0.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_barrier_t barrier;

static void* wait_at_barrier(void* unused) {
  (void)unused;
  pthread_barrier_wait(&barrier);
  return NULL;
}

static void* destroy_while_waited(void* unused) {
  (void)unused;
  pthread_barrier_destroy(&barrier);
  return NULL;
}

int main(void) {
  pthread_barrier_init(&barrier, NULL, 3);
  pthread_t waiter;
  pthread_t destroyer;
  pthread_create(&waiter, NULL, wait_at_barrier, NULL);
  usleep(100 * 1000);  // the waiter is now blocked at the barrier
  pthread_create(&destroyer, NULL, destroy_while_waited, NULL);
  usleep(100 * 1000);
  puts("misuse_destroy_busy_barrier: ending with a thread still waiting");
  fflush(stdout);
  exit(0);
}

// misuse_cond_signal_unheld: a condvar signalled after the mutex its waiter uses was released.
// Legal, and common in C and C++ libraries, so lockwatch reports it only when LOCKWATCH_OPTIONS
// has signal_unheld=1: then exactly one misuse:cond_signal_unheld, a warning (the exit status
// stays 0), whose stack names signal_without_mutex; by default, nothing at all. The waiter's wait
// times out after 10 s if anything goes wrong. Natively: prints, exits 0.
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int waiting;  // guarded by lock
static int done;     // guarded by lock

void *wait_for_signal(void *unused) {
  (void)unused;
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 10;
  pthread_mutex_lock(&lock);
  waiting = 1;
  while (!done) {
    if (pthread_cond_timedwait(&changed, &lock, &deadline) != 0) break;  // timed out: give up
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

void signal_without_mutex(void) {
  pthread_mutex_lock(&lock);
  done = 1;
  pthread_mutex_unlock(&lock);
  pthread_cond_signal(&changed);
}

int main(void) {
  pthread_t waiter;
  pthread_create(&waiter, NULL, wait_for_signal, NULL);
  // Once `waiting` is seen under the mutex, the waiter is inside its wait (which released it).
  for (;;) {
    pthread_mutex_lock(&lock);
    int is_waiting = waiting;
    pthread_mutex_unlock(&lock);
    if (is_waiting) break;
    usleep(1000);
  }
  signal_without_mutex();
  pthread_join(waiter, NULL);
  printf("misuse_cond_signal_unheld: the waiter woke\n");
  return 0;
}

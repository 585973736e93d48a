// misuse_destroy_busy: pthread_cond_destroy while another thread waits on the condvar.
// lockwatch must report exactly one misuse:destroy_busy (an error) naming the condvar, whose stack
// names destroy_while_waited, with related evidence of the waiter's wait. glibc's destroy waits
// for the waiter to leave, and the waiter gives up after 300 ms; nothing depends on either
// result. Natively: prints, exits 0.
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;
static int waiting;  // guarded by lock

void *wait_with_timeout(void *unused) {
  (void)unused;
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 300 * 1000 * 1000;
  if (deadline.tv_nsec >= 1000 * 1000 * 1000) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000 * 1000 * 1000;
  }
  pthread_mutex_lock(&lock);
  waiting = 1;
  pthread_cond_timedwait(&never_signalled, &lock, &deadline);
  pthread_mutex_unlock(&lock);
  return NULL;
}

void destroy_while_waited(void) {
  pthread_cond_destroy(&never_signalled);
}

int main(void) {
  pthread_t waiter;
  pthread_create(&waiter, NULL, wait_with_timeout, NULL);
  // Once `waiting` is seen under the mutex, the waiter is inside its wait (which released it).
  for (;;) {
    pthread_mutex_lock(&lock);
    int is_waiting = waiting;
    pthread_mutex_unlock(&lock);
    if (is_waiting) break;
    usleep(1000);
  }
  destroy_while_waited();
  pthread_join(waiter, NULL);
  printf("misuse_destroy_busy: destroyed the condvar under its waiter\n");
  return 0;
}

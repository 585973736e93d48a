// timed_lock_cycle: two threads block on each other's mutex, but one of them with
// pthread_mutex_timedlock: after 500 ms it gives up, releases its lock, and both finish. The
// lock orders are inverted (a lock_order_inversion), but the threads never deadlock for good:
// the watchdog must not report a deadlock, nor end the process early. Prints "recovered".
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;
static int gave_up;

static void* hold_a_try_b(void* unused) {
  (void)unused;
  pthread_mutex_lock(&lock_a);
  pthread_barrier_wait(&both_hold_one);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 500 * 1000 * 1000;
  if (deadline.tv_nsec >= 1000 * 1000 * 1000) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000 * 1000 * 1000;
  }
  if (pthread_mutex_timedlock(&lock_b, &deadline) == ETIMEDOUT) {
    gave_up = 1;
  } else {
    pthread_mutex_unlock(&lock_b);
  }
  pthread_mutex_unlock(&lock_a);
  return NULL;
}

static void* hold_b_want_a(void* unused) {
  (void)unused;
  pthread_mutex_lock(&lock_b);
  pthread_barrier_wait(&both_hold_one);
  pthread_mutex_lock(&lock_a);
  pthread_mutex_unlock(&lock_a);
  pthread_mutex_unlock(&lock_b);
  return NULL;
}

int main(void) {
  pthread_barrier_init(&both_hold_one, NULL, 2);
  pthread_t first;
  pthread_t second;
  pthread_create(&first, NULL, hold_a_try_b, NULL);
  pthread_create(&second, NULL, hold_b_want_a, NULL);
  pthread_join(first, NULL);
  pthread_join(second, NULL);
  printf("timed_lock_cycle: %s\n", gave_up ? "recovered" : "no contention");
  return 0;
}

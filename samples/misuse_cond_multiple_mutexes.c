// misuse_cond_multiple_mutexes: two threads wait on one condvar at the same time, each with its
// own mutex. lockwatch must report exactly one misuse:cond_multiple_mutexes (an error) naming the
// condvar and a mutex, whose stack names wait_with_second_mutex (the second waiter), with related
// evidence of the first thread's wait. main starts the second waiter only once the first waits,
// then wakes both with one broadcast; the waits time out after 10 s if anything goes wrong.
// Natively: prints, exits 0.
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

struct waiter {
  pthread_mutex_t mutex;
  int waiting;  // guarded by mutex
  int woken;    // guarded by mutex
};

static pthread_cond_t wake_up = PTHREAD_COND_INITIALIZER;
static struct waiter first = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
static struct waiter second = {PTHREAD_MUTEX_INITIALIZER, 0, 0};

static void wait_until_woken(struct waiter *self) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 10;
  pthread_mutex_lock(&self->mutex);
  self->waiting = 1;
  while (!self->woken) {
    if (pthread_cond_timedwait(&wake_up, &self->mutex, &deadline) != 0) break;  // timed out: give up
  }
  pthread_mutex_unlock(&self->mutex);
}

void *wait_with_first_mutex(void *unused) {
  (void)unused;
  wait_until_woken(&first);
  return NULL;
}

void *wait_with_second_mutex(void *unused) {
  (void)unused;
  wait_until_woken(&second);
  return NULL;
}

// Returns once the waiter is inside its wait: it set `waiting` under its mutex, and the wait is
// what released that mutex.
static void until_waiting(struct waiter *other) {
  for (;;) {
    pthread_mutex_lock(&other->mutex);
    int waiting = other->waiting;
    pthread_mutex_unlock(&other->mutex);
    if (waiting) return;
    usleep(1000);
  }
}

int main(void) {
  pthread_t first_thread, second_thread;
  pthread_create(&first_thread, NULL, wait_with_first_mutex, NULL);
  until_waiting(&first);
  pthread_create(&second_thread, NULL, wait_with_second_mutex, NULL);
  until_waiting(&second);
  pthread_mutex_lock(&first.mutex);
  first.woken = 1;
  pthread_mutex_unlock(&first.mutex);
  pthread_mutex_lock(&second.mutex);
  second.woken = 1;
  pthread_cond_broadcast(&wake_up);
  pthread_mutex_unlock(&second.mutex);
  pthread_join(first_thread, NULL);
  pthread_join(second_thread, NULL);
  printf("misuse_cond_multiple_mutexes: both waiters woke\n");
  return 0;
}

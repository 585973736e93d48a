// misuse_cond_wait_unheld: a condition wait with an (error-checking) mutex the caller does not hold.
// lockwatch must report exactly one misuse:cond_wait_unheld (an error) naming the condvar and the
// mutex, whose stack names wait_without_mutex. glibc refuses the wait with EPERM before it blocks
// (the 10 ms timeout bounds it anyway): natively prints "EPERM", exits 0.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;

int wait_without_mutex(pthread_mutex_t *lock) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 10 * 1000 * 1000;
  if (deadline.tv_nsec >= 1000 * 1000 * 1000) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000 * 1000 * 1000;
  }
  return pthread_cond_timedwait(&ready, lock, &deadline);
}

int main(void) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_t lock;
  pthread_mutex_init(&lock, &attributes);
  pthread_mutexattr_destroy(&attributes);
  int status = wait_without_mutex(&lock);
  pthread_mutex_destroy(&lock);
  printf("misuse_cond_wait_unheld: wait returned %s\n", status == EPERM ? "EPERM" : "something else");
  return 0;
}

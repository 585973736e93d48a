// report_then_sigkill: makes one lock-order inversion (abba's, one thread after the other), then
// kills itself with SIGKILL, so no exit handler of lockwatch's runs. The finding, reported when
// it was found, must be in the JSON Lines file whole: the start record and the finding, each a
// complete line, and no end record.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

void *lock_a_then_b(void *unused) {
  (void)unused;
  pthread_mutex_lock(&lock_a);
  pthread_mutex_lock(&lock_b);
  pthread_mutex_unlock(&lock_b);
  pthread_mutex_unlock(&lock_a);
  return NULL;
}

void *lock_b_then_a(void *unused) {
  (void)unused;
  pthread_mutex_lock(&lock_b);
  pthread_mutex_lock(&lock_a);
  pthread_mutex_unlock(&lock_a);
  pthread_mutex_unlock(&lock_b);
  return NULL;
}

int main(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, lock_a_then_b, NULL);
  pthread_join(thread, NULL);
  pthread_create(&thread, NULL, lock_b_then_a, NULL);
  pthread_join(thread, NULL);
  printf("report_then_sigkill: killing myself\n");
  fflush(stdout);
  raise(SIGKILL);
  return 0;
}

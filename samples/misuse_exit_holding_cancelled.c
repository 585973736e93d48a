// misuse_exit_holding_cancelled: a thread cancelled (at pause(), a cancellation point) while it
// holds a mutex, with no cleanup handler to unlock it. lockwatch must report exactly one
// misuse:exit_holding (an error) whose stacks name hold_lock_until_cancelled, with related
// evidence of where the mutex was acquired. Nobody locks the mutex afterwards: natively prints,
// exits 0.
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t locked;

void *hold_lock_until_cancelled(void *unused) {
  (void)unused;
  pthread_mutex_lock(&lock);
  sem_post(&locked);
  for (;;) pause();
}

int main(void) {
  sem_init(&locked, 0, 0);
  pthread_t thread;
  void *result = NULL;
  if (pthread_create(&thread, NULL, hold_lock_until_cancelled, NULL) != 0) {
    fprintf(stderr, "misuse_exit_holding_cancelled: cannot create a thread\n");
    return 1;
  }
  sem_wait(&locked);
  pthread_cancel(thread);
  pthread_join(thread, &result);
  printf("misuse_exit_holding_cancelled: the thread was %s\n",
         result == PTHREAD_CANCELED ? "cancelled" : "not cancelled");
  return 0;
}

// misuse_exit_holding: a thread returns while it still holds a mutex.
// lockwatch must report exactly one misuse:exit_holding (an error) whose stacks name
// return_holding_lock, with related evidence of where the mutex was acquired. Nobody locks the
// mutex afterwards: natively prints, exits 0.
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void *return_holding_lock(void *unused) {
  (void)unused;
  pthread_mutex_lock(&lock);
  return NULL;
}

int main(void) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, return_holding_lock, NULL) != 0 || pthread_join(thread, NULL) != 0) {
    fprintf(stderr, "misuse_exit_holding: cannot run a thread\n");
    return 1;
  }
  printf("misuse_exit_holding: the thread ended holding the mutex\n");
  return 0;
}

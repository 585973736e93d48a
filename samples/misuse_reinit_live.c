// misuse_reinit_live: pthread_mutex_init on a mutex its thread holds.
// lockwatch must report exactly one misuse:reinit_live (an error) whose stack names
// reinit_locked_mutex, with related evidence of where the mutex was acquired. glibc simply
// overwrites the mutex (returns 0), and nothing uses it afterwards: natively prints, exits 0.
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock;

int reinit_locked_mutex(void) {
  pthread_mutex_lock(&lock);
  return pthread_mutex_init(&lock, NULL);
}

int main(void) {
  pthread_mutex_init(&lock, NULL);
  printf("misuse_reinit_live: init of the locked mutex returned %d\n", reinit_locked_mutex());
  return 0;
}

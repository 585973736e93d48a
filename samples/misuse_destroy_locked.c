// misuse_destroy_locked: a mutex destroyed while its thread holds it.
// lockwatch must report exactly one misuse:destroy_locked (an error) whose stack names
// destroy_while_locked, with related evidence of where the mutex was acquired. glibc refuses with
// EBUSY and the mutex stays alive, so the program unlocks and destroys it properly. Natively:
// prints "EBUSY", exits 0.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

int destroy_while_locked(pthread_mutex_t *lock) {
  pthread_mutex_lock(lock);
  int status = pthread_mutex_destroy(lock);
  pthread_mutex_unlock(lock);
  return status;
}

int main(void) {
  pthread_mutex_t lock;
  pthread_mutex_init(&lock, NULL);
  int status = destroy_while_locked(&lock);
  pthread_mutex_destroy(&lock);
  printf("misuse_destroy_locked: destroy while locked returned %s\n", status == EBUSY ? "EBUSY" : "something else");
  return 0;
}

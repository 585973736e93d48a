// misuse_unlock_not_owner: main locks a mutex, then another thread unlocks it.
// lockwatch must report exactly one misuse:unlock_not_owner (an error) whose stack names
// unlock_from_other_thread, with related evidence of where main acquired the mutex. glibc lets
// a non-owner unlock a normal mutex, and nobody touches it afterwards: natively prints, exits 0.
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void *unlock_from_other_thread(void *unused) {
  (void)unused;
  pthread_mutex_unlock(&lock);
  return NULL;
}

int main(void) {
  pthread_mutex_lock(&lock);
  pthread_t thread;
  if (pthread_create(&thread, NULL, unlock_from_other_thread, NULL) != 0 || pthread_join(thread, NULL) != 0) {
    fprintf(stderr, "misuse_unlock_not_owner: cannot run a thread\n");
    return 1;
  }
  printf("misuse_unlock_not_owner: the other thread unlocked main's mutex\n");
  return 0;
}

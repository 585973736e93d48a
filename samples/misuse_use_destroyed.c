// misuse_use_destroyed: a mutex locked after it was destroyed, without a new pthread_mutex_init.
// lockwatch must report exactly one misuse:use_destroyed (an error) whose stack names
// lock_after_destroy, with related evidence of where the mutex was destroyed. glibc marks a
// destroyed mutex invalid and the lock fails with EINVAL: natively prints "EINVAL", exits 0.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock;

int lock_after_destroy(void) {
  return pthread_mutex_lock(&lock);
}

int main(void) {
  pthread_mutex_init(&lock, NULL);
  pthread_mutex_lock(&lock);
  pthread_mutex_unlock(&lock);
  pthread_mutex_destroy(&lock);
  int status = lock_after_destroy();
  printf("misuse_use_destroyed: lock after destroy returned %s\n", status == EINVAL ? "EINVAL" : "something else");
  return 0;
}

// misuse_invalid_object: a live mutex passed to pthread_rwlock_rdlock, cast as an rwlock.
// lockwatch must report exactly one misuse:invalid_object (an error) whose stack names
// read_lock_the_mutex. The mutex sits in room the size of an rwlock, and an unlocked default
// mutex is all zero bytes, which glibc reads as an unlocked rwlock: the read lock succeeds, and
// nothing uses the memory afterwards. Natively: prints, exits 0.
#include <pthread.h>
#include <stdio.h>

static union {
  pthread_mutex_t mutex;
  unsigned char rwlock_sized_room[sizeof(pthread_rwlock_t)];
} object;

int read_lock_the_mutex(void) {
  return pthread_rwlock_rdlock((pthread_rwlock_t *)&object.mutex);
}

int main(void) {
  pthread_mutex_init(&object.mutex, NULL);
  pthread_mutex_lock(&object.mutex);
  pthread_mutex_unlock(&object.mutex);
  printf("misuse_invalid_object: read-locking the mutex returned %d\n", read_lock_the_mutex());
  return 0;
}

// misuse_invalid_object_memory: pthread_mutex_lock on memory that never held a mutex (a
// buffer filled with a pattern glibc never writes to a mutex's kind word). glibc answers
// EINVAL and nothing is locked. Expected: misuse:invalid_object naming lock_garbage.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int lock_garbage(pthread_mutex_t* not_a_mutex) { return pthread_mutex_lock(not_a_mutex); }

int main(void) {
  union {
    pthread_mutex_t mutex;
    unsigned char bytes[sizeof(pthread_mutex_t)];
  } memory;
  memset(memory.bytes, 0x5a, sizeof memory.bytes);
  const int result = lock_garbage(&memory.mutex);
  printf("misuse_invalid_object_memory: lock returned %s\n", result == EINVAL ? "EINVAL" : "something else");
  return 0;
}

// misuse_unlock_unlocked: a normal mutex unlocked a second time, when nobody holds it.
// lockwatch must report exactly one misuse:unlock_unlocked (an error) whose stack names
// unlock_twice. glibc lets the extra unlock of a normal mutex pass: natively prints, exits 0.
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int counter;

int unlock_twice(void) {
  pthread_mutex_lock(&lock);
  counter++;
  pthread_mutex_unlock(&lock);
  return pthread_mutex_unlock(&lock);
}

int main(void) {
  printf("misuse_unlock_unlocked: second unlock returned %d\n", unlock_twice());
  return 0;
}

// misuse_rwlock_unlock_unheld: an rwlock unlocked a second time, when nobody holds it.
// lockwatch must report exactly one misuse:rwlock_unlock_unheld (an error) whose stack names
// unlock_rwlock_twice. glibc does not check (it corrupts the reader count, and the rwlock is
// never used again): natively prints, exits 0.
#include <pthread.h>
#include <stdio.h>

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static int table_size = 16;

int unlock_rwlock_twice(void) {
  pthread_rwlock_rdlock(&table_lock);
  int size = table_size;
  pthread_rwlock_unlock(&table_lock);
  pthread_rwlock_unlock(&table_lock);
  return size;
}

int main(void) {
  printf("misuse_rwlock_unlock_unheld: read size %d\n", unlock_rwlock_twice());
  return 0;
}

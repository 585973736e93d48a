// misuse_rwlock_upgrade: a thread holding a read lock requests the write lock of the same rwlock:
// a self-deadlock. NEVER RUN IT NATIVELY: it hangs forever. lockwatch must report exactly one
// misuse:rwlock_upgrade (an error) whose stack names read_then_write before the thread blocks,
// then apply on_deadlock (by default: exit at once with status 66).
#include <pthread.h>
#include <stdio.h>

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;

void read_then_write(void) {
  pthread_rwlock_rdlock(&table_lock);
  pthread_rwlock_wrlock(&table_lock);
}

int main(void) {
  read_then_write();
  printf("misuse_rwlock_upgrade: unreachable, the write lock never comes\n");
  return 0;
}

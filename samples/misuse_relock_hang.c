// misuse_relock_hang: a thread locks a normal mutex it already holds: a self-deadlock.
// NEVER RUN IT NATIVELY: it hangs forever. lockwatch must report exactly one misuse:relock (an
// error) whose stack names lock_twice before the thread blocks, then apply on_deadlock (by
// default: exit at once with status 66).
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void lock_twice(void) {
  pthread_mutex_lock(&lock);
  pthread_mutex_lock(&lock);
}

int main(void) {
  lock_twice();
  printf("misuse_relock_hang: unreachable, the second lock never returns\n");
  return 0;
}

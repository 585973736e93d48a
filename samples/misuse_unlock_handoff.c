// misuse_unlock_handoff: a normal mutex handed over like a semaphore. A worker locks it and
// main unlocks it for the worker (glibc lets a non-owner unlock a normal mutex, and the unlock
// frees it), twice: the worker locks it again after the first hand-over, and ends after the
// second. lockwatch must report exactly one misuse:unlock_not_owner (an error, at hand_over),
// and nothing that a stale hold by the worker would make up: no relock (self-deadlock) when it
// locks the freed mutex again, no exit_holding when it ends. Natively: prints,
// exits 0.
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static pthread_mutex_t baton = PTHREAD_MUTEX_INITIALIZER;
static sem_t taken, handed_over;

static void take_baton(void) {
  pthread_mutex_lock(&baton);
  sem_post(&taken);
  sem_wait(&handed_over);  // main unlocks the baton meanwhile
}

void *worker(void *unused) {
  take_baton();
  take_baton();   // the baton is free again: no self-deadlock
  return unused;  // and it is not held at the end
}

void hand_over(void) {
  sem_wait(&taken);
  pthread_mutex_unlock(&baton);  // misuse: main does not own it
  sem_post(&handed_over);
}

int main(void) {
  sem_init(&taken, 0, 0);
  sem_init(&handed_over, 0, 0);
  pthread_t thread;
  if (pthread_create(&thread, NULL, worker, NULL) != 0) return 1;
  for (int i = 0; i < 2; ++i) hand_over();  // one call path: one finding
  pthread_join(thread, NULL);
  // The baton is free: main can take it.
  pthread_mutex_lock(&baton);
  pthread_mutex_unlock(&baton);
  puts("misuse_unlock_handoff: handed over twice");
  return 0;
}

// trylock_only: opposite lock orders made safe by try-lock and back-off; lockwatch must report
// nothing. One thread locks A then B; the other, at the same time, locks B then only try-locks A,
// and on failure releases B and retries. A try-lock never waits, so it adds no lock-order edge and
// there is no cycle. Both threads finish all their rounds, so the output is fixed. Exits 0.
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 2000

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static int guarded_by_both;

void *lock_a_then_b(void *unused) {
  (void)unused;
  for (int round = 0; round < ROUNDS; round++) {
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    guarded_by_both++;
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
  }
  return NULL;
}

void *lock_b_then_try_a(void *unused) {
  (void)unused;
  for (int round = 0; round < ROUNDS;) {
    pthread_mutex_lock(&lock_b);
    int status = pthread_mutex_trylock(&lock_a);
    if (status == 0) {
      guarded_by_both++;
      round++;
      pthread_mutex_unlock(&lock_a);
    } else if (status != EBUSY) {
      fprintf(stderr, "trylock_only: pthread_mutex_trylock failed: %d\n", status);
      exit(1);
    }
    pthread_mutex_unlock(&lock_b);
    if (status == EBUSY) sched_yield();  // back off: let the other thread finish with A
  }
  return NULL;
}

int main(void) {
  pthread_t forward, backward;
  if (pthread_create(&forward, NULL, lock_a_then_b, NULL) != 0 ||
      pthread_create(&backward, NULL, lock_b_then_try_a, NULL) != 0) {
    fprintf(stderr, "trylock_only: cannot create threads\n");
    return 1;
  }
  pthread_join(forward, NULL);
  pthread_join(backward, NULL);
  printf("trylock_only: %d critical sections\n", guarded_by_both);
  return 0;
}

// cover_rwlock_abba: the abba inversion with the write locks of two rwlocks.
// One thread write-locks A then B and finishes; only then does a second write-lock B then A, so
// this run never deadlocks. lockwatch must report exactly one lock_order_inversion (a 2-lock cycle
// of rwlocks, write acquisitions) whose stacks name write_lock_a_then_b and write_lock_b_then_a.
// Natively: prints, exits 0.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_rwlock_t lock_a = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t lock_b = PTHREAD_RWLOCK_INITIALIZER;
static int guarded_by_both;

void *write_lock_a_then_b(void *unused) {
  (void)unused;
  pthread_rwlock_wrlock(&lock_a);
  pthread_rwlock_wrlock(&lock_b);
  guarded_by_both++;
  pthread_rwlock_unlock(&lock_b);
  pthread_rwlock_unlock(&lock_a);
  return NULL;
}

void *write_lock_b_then_a(void *unused) {
  (void)unused;
  pthread_rwlock_wrlock(&lock_b);
  pthread_rwlock_wrlock(&lock_a);
  guarded_by_both++;
  pthread_rwlock_unlock(&lock_a);
  pthread_rwlock_unlock(&lock_b);
  return NULL;
}

// Runs body on a new thread and waits for it, so the two lock orders never overlap in time.
static void run_to_completion(void *(*body)(void *)) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, body, NULL) != 0 || pthread_join(thread, NULL) != 0) {
    fprintf(stderr, "cover_rwlock_abba: cannot run a thread\n");
    exit(1);
  }
}

int main(void) {
  run_to_completion(write_lock_a_then_b);
  run_to_completion(write_lock_b_then_a);
  printf("cover_rwlock_abba: %d critical sections\n", guarded_by_both);
  return 0;
}

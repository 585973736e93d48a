// cover_spinlock_abba: the abba inversion with two pthread spinlocks.
// One thread takes A then B and finishes; only then does a second take B then A, so this run
// never deadlocks. lockwatch must report exactly one lock_order_inversion (a 2-lock cycle of
// spinlocks) whose stacks name spin_a_then_b and spin_b_then_a. Natively: prints, exits 0.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_spinlock_t lock_a;
static pthread_spinlock_t lock_b;
static int guarded_by_both;

void *spin_a_then_b(void *unused) {
  (void)unused;
  pthread_spin_lock(&lock_a);
  pthread_spin_lock(&lock_b);
  guarded_by_both++;
  pthread_spin_unlock(&lock_b);
  pthread_spin_unlock(&lock_a);
  return NULL;
}

void *spin_b_then_a(void *unused) {
  (void)unused;
  pthread_spin_lock(&lock_b);
  pthread_spin_lock(&lock_a);
  guarded_by_both++;
  pthread_spin_unlock(&lock_a);
  pthread_spin_unlock(&lock_b);
  return NULL;
}

// Runs body on a new thread and waits for it, so the two lock orders never overlap in time.
static void run_to_completion(void *(*body)(void *)) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, body, NULL) != 0 || pthread_join(thread, NULL) != 0) {
    fprintf(stderr, "cover_spinlock_abba: cannot run a thread\n");
    exit(1);
  }
}

int main(void) {
  pthread_spin_init(&lock_a, PTHREAD_PROCESS_PRIVATE);
  pthread_spin_init(&lock_b, PTHREAD_PROCESS_PRIVATE);
  run_to_completion(spin_a_then_b);
  run_to_completion(spin_b_then_a);
  pthread_spin_destroy(&lock_a);
  pthread_spin_destroy(&lock_b);
  printf("cover_spinlock_abba: %d critical sections\n", guarded_by_both);
  return 0;
}

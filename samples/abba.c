// abba: the classic lock-order inversion, arranged so this run never deadlocks.
// One thread takes A then B and finishes; only then does a second thread take B then A. Had they
// overlapped they could deadlock, so lockwatch must report exactly one lock_order_inversion (a
// 2-lock cycle) whose stacks name lock_a_then_b and lock_b_then_a. Natively: prints, exits 0.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static int guarded_by_both;

void *lock_a_then_b(void *unused) {
  (void)unused;
  pthread_mutex_lock(&lock_a);
  pthread_mutex_lock(&lock_b);
  guarded_by_both++;
  pthread_mutex_unlock(&lock_b);
  pthread_mutex_unlock(&lock_a);
  return NULL;
}

void *lock_b_then_a(void *unused) {
  (void)unused;
  pthread_mutex_lock(&lock_b);
  pthread_mutex_lock(&lock_a);
  guarded_by_both++;
  pthread_mutex_unlock(&lock_a);
  pthread_mutex_unlock(&lock_b);
  return NULL;
}

// Runs body on a new thread and waits for it, so the two lock orders never overlap in time.
static void run_to_completion(void *(*body)(void *)) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, body, NULL) != 0 || pthread_join(thread, NULL) != 0) {
    fprintf(stderr, "abba: cannot run a thread\n");
    exit(1);
  }
}

int main(void) {
  run_to_completion(lock_a_then_b);
  run_to_completion(lock_b_then_a);
  printf("abba: %d critical sections\n", guarded_by_both);
  return 0;
}

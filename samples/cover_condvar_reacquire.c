// cover_condvar_reacquire: a lock-order inversion that exists only through the re-acquisition of
// a condition wait's mutex. The first thread locks A, try-locks B (a try-lock adds no edge), and
// waits on a condvar with A while it still holds B: when the wait returns (a 10 ms timeout) it
// re-acquires A while holding B, the edge B -> A. Later a second thread locks A then B, the edge
// A -> B. Run at the same time, the second thread could take A during the wait and block on B,
// and the waiter could never get A back. lockwatch must report exactly one lock_order_inversion
// (a 2-lock cycle) whose stacks name wait_on_a_holding_b and lock_a_then_b. The threads run one
// after the other: natively prints, exits 0.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;
static int guarded_by_both;

void *wait_on_a_holding_b(void *unused) {
  (void)unused;
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 10 * 1000 * 1000;
  if (deadline.tv_nsec >= 1000 * 1000 * 1000) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000 * 1000 * 1000;
  }
  pthread_mutex_lock(&lock_a);
  if (pthread_mutex_trylock(&lock_b) == 0) {
    pthread_cond_timedwait(&never_signalled, &lock_a, &deadline);
    guarded_by_both++;
    pthread_mutex_unlock(&lock_b);
  }
  pthread_mutex_unlock(&lock_a);
  return NULL;
}

void *lock_a_then_b(void *unused) {
  (void)unused;
  pthread_mutex_lock(&lock_a);
  pthread_mutex_lock(&lock_b);
  guarded_by_both++;
  pthread_mutex_unlock(&lock_b);
  pthread_mutex_unlock(&lock_a);
  return NULL;
}

// Runs body on a new thread and waits for it, so the two lock orders never overlap in time.
static void run_to_completion(void *(*body)(void *)) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, body, NULL) != 0 || pthread_join(thread, NULL) != 0) {
    fprintf(stderr, "cover_condvar_reacquire: cannot run a thread\n");
    exit(1);
  }
}

int main(void) {
  run_to_completion(wait_on_a_holding_b);
  run_to_completion(lock_a_then_b);
  printf("cover_condvar_reacquire: %d critical sections\n", guarded_by_both);
  return 0;
}

// cover_c11_mtx_abba: the abba inversion with C11 threads: mtx_t, thrd_create and thrd_join.
// glibc's mtx_lock does not go through the interposed pthread_mutex_lock symbol, so this proves
// lockwatch interposes the C11 calls themselves. One thread takes A then B and finishes; only then
// does a second take B then A, so this run never deadlocks. lockwatch must report exactly one
// lock_order_inversion (a 2-lock cycle of mutexes) whose stacks name mtx_a_then_b and
// mtx_b_then_a. Natively: prints, exits 0.
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>

static mtx_t lock_a;
static mtx_t lock_b;
static int guarded_by_both;

int mtx_a_then_b(void *unused) {
  (void)unused;
  mtx_lock(&lock_a);
  mtx_lock(&lock_b);
  guarded_by_both++;
  mtx_unlock(&lock_b);
  mtx_unlock(&lock_a);
  return 0;
}

int mtx_b_then_a(void *unused) {
  (void)unused;
  mtx_lock(&lock_b);
  mtx_lock(&lock_a);
  guarded_by_both++;
  mtx_unlock(&lock_a);
  mtx_unlock(&lock_b);
  return 0;
}

// Runs body on a new thread and waits for it, so the two lock orders never overlap in time.
static void run_to_completion(thrd_start_t body) {
  thrd_t thread;
  if (thrd_create(&thread, body, NULL) != thrd_success || thrd_join(thread, NULL) != thrd_success) {
    fprintf(stderr, "cover_c11_mtx_abba: cannot run a thread\n");
    exit(1);
  }
}

int main(void) {
  if (mtx_init(&lock_a, mtx_plain) != thrd_success || mtx_init(&lock_b, mtx_plain) != thrd_success) {
    fprintf(stderr, "cover_c11_mtx_abba: cannot initialise the mutexes\n");
    return 1;
  }
  run_to_completion(mtx_a_then_b);
  run_to_completion(mtx_b_then_a);
  mtx_destroy(&lock_a);
  mtx_destroy(&lock_b);
  printf("cover_c11_mtx_abba: %d critical sections\n", guarded_by_both);
  return 0;
}

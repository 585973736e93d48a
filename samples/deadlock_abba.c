// deadlock_abba: two threads take two mutexes in opposite orders and meet at a barrier in
// between, so both always block for good (natively the program hangs). Expected: the
// lock_order_inversion, then the watchdog's deadlock naming both threads, and the process
// ending with exitcode (on_deadlock=exit) within stall_ms + 2 s.
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;

static void* hold_a_want_b(void* unused) {
  (void)unused;
  pthread_mutex_lock(&lock_a);
  pthread_barrier_wait(&both_hold_one);
  pthread_mutex_lock(&lock_b);
  pthread_mutex_unlock(&lock_b);
  pthread_mutex_unlock(&lock_a);
  return NULL;
}

static void* hold_b_want_a(void* unused) {
  (void)unused;
  pthread_mutex_lock(&lock_b);
  pthread_barrier_wait(&both_hold_one);
  pthread_mutex_lock(&lock_a);
  pthread_mutex_unlock(&lock_a);
  pthread_mutex_unlock(&lock_b);
  return NULL;
}

int main(void) {
  pthread_barrier_init(&both_hold_one, NULL, 2);
  pthread_t first;
  pthread_t second;
  pthread_create(&first, NULL, hold_a_want_b, NULL);
  pthread_create(&second, NULL, hold_b_want_a, NULL);
  pthread_join(first, NULL);
  pthread_join(second, NULL);
  puts("deadlock_abba: not reached");
  return 0;
}

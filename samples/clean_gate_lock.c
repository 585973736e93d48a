// clean_gate_lock: two lock orders that can never deadlock, because a common outer lock (a
// gate) serialises them. Two threads move units between two accounts at once, each taking the
// accounts' locks in its own order (A then B, B then A), always while holding the ledger lock.
// Whichever holds the ledger is alone in there, so neither can hold one account and wait for
// the other's holder. lockwatch must report nothing. Natively: prints the total, exits 0.
#include <pthread.h>
#include <stdio.h>

#define ROUNDS 20000

static pthread_mutex_t ledger = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t account_a_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t account_b_lock = PTHREAD_MUTEX_INITIALIZER;
static long account_a = 1000000, account_b = 1000000;

static void transfer(pthread_mutex_t *first, pthread_mutex_t *second, long *from, long *to) {
  pthread_mutex_lock(&ledger);
  pthread_mutex_lock(first);
  pthread_mutex_lock(second);
  *from -= 1;
  *to += 1;
  pthread_mutex_unlock(second);
  pthread_mutex_unlock(first);
  pthread_mutex_unlock(&ledger);
}

static void *move_a_to_b(void *unused) {
  (void)unused;
  for (int i = 0; i < ROUNDS; ++i) transfer(&account_a_lock, &account_b_lock, &account_a, &account_b);
  return NULL;
}

static void *move_b_to_a(void *unused) {
  (void)unused;
  for (int i = 0; i < ROUNDS; ++i) transfer(&account_b_lock, &account_a_lock, &account_b, &account_a);
  return NULL;
}

int main(void) {
  pthread_t a_to_b, b_to_a;
  if (pthread_create(&a_to_b, NULL, move_a_to_b, NULL) != 0 || pthread_create(&b_to_a, NULL, move_b_to_a, NULL) != 0) {
    fprintf(stderr, "clean_gate_lock: cannot start a thread\n");
    return 1;
  }
  pthread_join(a_to_b, NULL);
  pthread_join(b_to_a, NULL);
  printf("clean_gate_lock: total %ld\n", account_a + account_b);
  return 0;
}

// cover_rwlock_read_cycle: opposite orders on two default (reader-preferring) rwlocks, but only
// ever read-locked. A reader never waits for another reader of such an rwlock, so this cycle
// cannot deadlock: lockwatch must report no error (at most a warning lock_order_inversion) and
// the exit status stays 0. Two threads run at the same time; the output is fixed. Natively:
// prints, exits 0.
#include <pthread.h>
#include <stdio.h>

#define ROUNDS 1000

static pthread_rwlock_t lock_a = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t lock_b = PTHREAD_RWLOCK_INITIALIZER;
static const int table_a[4] = {1, 2, 3, 4};
static const int table_b[4] = {10, 20, 30, 40};

void *read_lock_a_then_b(void *sum) {
  for (int round = 0; round < ROUNDS; round++) {
    pthread_rwlock_rdlock(&lock_a);
    pthread_rwlock_rdlock(&lock_b);
    *(long *)sum += table_a[round % 4] + table_b[round % 4];
    pthread_rwlock_unlock(&lock_b);
    pthread_rwlock_unlock(&lock_a);
  }
  return NULL;
}

void *read_lock_b_then_a(void *sum) {
  for (int round = 0; round < ROUNDS; round++) {
    pthread_rwlock_rdlock(&lock_b);
    pthread_rwlock_rdlock(&lock_a);
    *(long *)sum += table_a[round % 4] * table_b[round % 4];
    pthread_rwlock_unlock(&lock_a);
    pthread_rwlock_unlock(&lock_b);
  }
  return NULL;
}

int main(void) {
  long forward_sum = 0, backward_sum = 0;
  pthread_t forward, backward;
  if (pthread_create(&forward, NULL, read_lock_a_then_b, &forward_sum) != 0 ||
      pthread_create(&backward, NULL, read_lock_b_then_a, &backward_sum) != 0) {
    fprintf(stderr, "cover_rwlock_read_cycle: cannot create threads\n");
    return 1;
  }
  pthread_join(forward, NULL);
  pthread_join(backward, NULL);
  printf("cover_rwlock_read_cycle: sums %ld and %ld\n", forward_sum, backward_sum);
  return 0;
}

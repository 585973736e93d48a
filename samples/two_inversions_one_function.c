// two_inversions_one_function: two unrelated lock-order inversions made in one function, a
// worker that runs one of four steps: A then B, B then A, C then D, D then C. lockwatch must
// report two findings with two fingerprints (a baseline that accepts the first must not
// accept the second); the steps run one after the other, so this run never hangs. Natively:
// prints, exits 0.
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER, lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER, lock_d = PTHREAD_MUTEX_INITIALIZER;

static void lock_pair(pthread_mutex_t *first, pthread_mutex_t *second) {
  pthread_mutex_lock(first);
  pthread_mutex_lock(second);
  pthread_mutex_unlock(second);
  pthread_mutex_unlock(first);
}

void *worker(void *step) {
  switch ((long)step) {
    case 0:
      lock_pair(&lock_a, &lock_b);
      break;
    case 1:
      lock_pair(&lock_b, &lock_a);
      break;
    case 2:
      lock_pair(&lock_c, &lock_d);
      break;
    default:
      lock_pair(&lock_d, &lock_c);
      break;
  }
  return NULL;
}

int main(void) {
  for (long step = 0; step < 4; ++step) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, worker, (void *)step) != 0 || pthread_join(thread, NULL) != 0) return 1;
  }
  puts("two_inversions_one_function: done");
  return 0;
}

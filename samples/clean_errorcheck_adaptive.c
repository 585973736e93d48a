// clean_errorcheck_adaptive: error-checking and adaptive mutexes used correctly; lockwatch must
// report nothing. 4 threads nest an error-checking mutex (outer) and an adaptive one (inner),
// always in that order, taking the inner one by try-lock every other round; every call must
// return 0 (the program checks). Fixed output. Exits 0.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { kThreads = 4, kRounds = 10000 };

static pthread_mutex_t outer;  // error-checking
static pthread_mutex_t inner;  // adaptive
static long guarded_by_both;

static void check(int status, const char *what) {
  if (status != 0) {
    fprintf(stderr, "clean_errorcheck_adaptive: %s returned %d\n", what, status);
    exit(1);
  }
}

static void init_mutex(pthread_mutex_t *lock, int type) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_settype(&attributes, type);
  check(pthread_mutex_init(lock, &attributes), "pthread_mutex_init");
  pthread_mutexattr_destroy(&attributes);
}

void *lock_outer_then_inner(void *unused) {
  (void)unused;
  for (int round = 0; round < kRounds; round++) {
    check(pthread_mutex_lock(&outer), "lock of the error-checking mutex");
    // The adaptive mutex is only ever taken under the error-checking one: its try-lock cannot fail.
    if (round % 2 == 0) {
      check(pthread_mutex_trylock(&inner), "try-lock of the adaptive mutex");
    } else {
      check(pthread_mutex_lock(&inner), "lock of the adaptive mutex");
    }
    guarded_by_both++;
    check(pthread_mutex_unlock(&inner), "unlock of the adaptive mutex");
    check(pthread_mutex_unlock(&outer), "unlock of the error-checking mutex");
  }
  return NULL;
}

int main(void) {
  init_mutex(&outer, PTHREAD_MUTEX_ERRORCHECK);
  init_mutex(&inner, PTHREAD_MUTEX_ADAPTIVE_NP);
  pthread_t threads[kThreads];
  for (int t = 0; t < kThreads; t++) {
    if (pthread_create(&threads[t], NULL, lock_outer_then_inner, NULL) != 0) {
      fprintf(stderr, "clean_errorcheck_adaptive: cannot create thread %d\n", t);
      return 1;
    }
  }
  for (int t = 0; t < kThreads; t++) pthread_join(threads[t], NULL);
  check(pthread_mutex_destroy(&inner), "pthread_mutex_destroy");
  check(pthread_mutex_destroy(&outer), "pthread_mutex_destroy");
  printf("clean_errorcheck_adaptive: %ld critical sections\n", guarded_by_both);
  return 0;
}

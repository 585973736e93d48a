// profile_recursive_reentry: a recursive mutex that its owner re-enters, never contended: one
// thread at a time locks it three deep, 1000 times, and a second thread does the same after the
// first has finished. Re-entry finds the mutex's memory locked, but by the caller, and is granted
// at once: the profile must count 6000 acquisitions and none contended. Exits 0.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

enum { kRounds = 1000, kDepth = 3 };

static pthread_mutex_t reentered;
static long visits;  // guarded by reentered

static void make_reentered_lock(void) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&reentered, &attributes);
  pthread_mutexattr_destroy(&attributes);
}

static void visit(int depth) {
  pthread_mutex_lock(&reentered);
  visits++;
  if (depth > 1) visit(depth - 1);
  pthread_mutex_unlock(&reentered);
}

static void *visit_many(void *unused) {
  for (int round = 0; round < kRounds; round++) visit(kDepth);
  return unused;
}

int main(void) {
  make_reentered_lock();
  pthread_t thread;
  visit_many(NULL);
  pthread_create(&thread, NULL, visit_many, NULL);
  pthread_join(thread, NULL);
  printf("%ld visits\n", visits);
  pthread_mutex_destroy(&reentered);
  return 0;
}

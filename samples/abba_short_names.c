// abba_short_names: abba in C functions named f and w. C names are not mangled, and these two
// also spell Itanium type codes (float, wchar_t): the report must name them f and w.
// Natively: prints, exits 0.
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

void *f(void *unused) {
  pthread_mutex_lock(&lock_a);
  pthread_mutex_lock(&lock_b);
  pthread_mutex_unlock(&lock_b);
  pthread_mutex_unlock(&lock_a);
  return unused;
}

void *w(void *unused) {
  pthread_mutex_lock(&lock_b);
  pthread_mutex_lock(&lock_a);
  pthread_mutex_unlock(&lock_a);
  pthread_mutex_unlock(&lock_b);
  return unused;
}

int main(void) {
  // One thread after the other: the two orders never overlap, so this run cannot hang.
  void *(*bodies[])(void *) = {f, w};
  for (int i = 0; i < 2; ++i) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, bodies[i], NULL) != 0 || pthread_join(thread, NULL) != 0) return 1;
  }
  puts("abba_short_names: done");
  return 0;
}

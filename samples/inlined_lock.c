// inlined_lock: a lock-order inversion whose locks are taken two inlined calls deep: a static
// inline helper, itself inlined into the pair helper that the -O2 build inlines into both
// thread functions (as std::lock_guard over std::mutex::lock is in C++). The report must show
// both helpers as inlined frames (from DWARF), each at its own line, inside forward_order and
// backward_order at the line of their call. Natively: prints, exits 0.
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static int guarded_by_both;

static inline __attribute__((always_inline)) void lock_one(pthread_mutex_t *lock) {
  pthread_mutex_lock(lock);  // line 14
}

static inline __attribute__((always_inline)) void lock_pair_in_order(pthread_mutex_t *first,
                                                                      pthread_mutex_t *second) {
  lock_one(first);   // line 19
  lock_one(second);  // line 20
  guarded_by_both++;
  pthread_mutex_unlock(second);
  pthread_mutex_unlock(first);
}

__attribute__((noinline)) void *forward_order(void *unused) {
  (void)unused;
  lock_pair_in_order(&lock_a, &lock_b);  // line 28
  return NULL;
}

__attribute__((noinline)) void *backward_order(void *unused) {
  (void)unused;
  lock_pair_in_order(&lock_b, &lock_a);
  return NULL;
}

int main(void) {
  // One thread after the other: the two orders never overlap, so this run cannot hang.
  void *(*bodies[])(void *) = {forward_order, backward_order};
  for (int i = 0; i < 2; ++i) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, bodies[i], NULL) != 0 || pthread_join(thread, NULL) != 0) return 1;
  }
  printf("inlined_lock: %d critical sections\n", guarded_by_both);
  return 0;
}

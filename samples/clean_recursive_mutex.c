// clean_recursive_mutex: a recursive pthread mutex used correctly; lockwatch must report nothing.
// 4 threads each descend 3 levels, locking the recursive mutex at every level, and at the bottom
// also try-lock it once more (an owner's try-lock of a recursive mutex succeeds) and take a plain
// mutex inside it. Every lock is undone in reverse. Fixed output. Exits 0.
#include <pthread.h>
#include <stdio.h>

enum { kThreads = 4, kDepth = 3, kRounds = 5000 };

static pthread_mutex_t tree_lock;  // recursive
static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;
static long visits[kDepth];  // guarded by tree_lock
static long tallies;         // guarded by tally_lock

static void descend(int depth) {
  pthread_mutex_lock(&tree_lock);
  visits[depth - 1]++;
  if (depth < kDepth) {
    descend(depth + 1);
  } else if (pthread_mutex_trylock(&tree_lock) == 0) {
    pthread_mutex_lock(&tally_lock);
    tallies++;
    pthread_mutex_unlock(&tally_lock);
    pthread_mutex_unlock(&tree_lock);
  }
  pthread_mutex_unlock(&tree_lock);
}

void *descend_repeatedly(void *unused) {
  (void)unused;
  for (int round = 0; round < kRounds; round++) descend(1);
  return NULL;
}

int main(void) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&tree_lock, &attributes);
  pthread_mutexattr_destroy(&attributes);
  pthread_t threads[kThreads];
  for (int t = 0; t < kThreads; t++) {
    if (pthread_create(&threads[t], NULL, descend_repeatedly, NULL) != 0) {
      fprintf(stderr, "clean_recursive_mutex: cannot create thread %d\n", t);
      return 1;
    }
  }
  for (int t = 0; t < kThreads; t++) pthread_join(threads[t], NULL);
  pthread_mutex_destroy(&tree_lock);
  printf("clean_recursive_mutex: visits %ld/%ld/%ld, %ld tallies\n", visits[0], visits[1], visits[2], tallies);
  return 0;
}

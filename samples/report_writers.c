// report_writers: many reports written at once. The process forks CHILDREN children; in each,
// THREADS threads each make FINDINGS lock-order inversions at the same time, every one on a
// pair of locks of its own and from a different stack (its locks are taken at a recursion depth
// of its own), so each is a finding of its own with long records. THREADS * FINDINGS must stay
// under stack_depth (32 frames): deeper stacks would be cut to the same frames. All children write into
// the same log_path directory (a file per process) and, within a child, all threads into the
// same file: every line must be one whole record, CHILDREN * THREADS * FINDINGS findings in all.
// The parent waits for every child and exits 0 (each child exits 66 under lockwatch).
// Usage: report_writers CHILDREN THREADS FINDINGS
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static long findings_per_thread;
static pthread_barrier_t start_together;

struct pair {
  pthread_mutex_t first, second;
};

// Takes the pair in the order given, `depth` calls deep: each depth is another stack.
__attribute__((noinline)) void lock_at_depth(int depth, pthread_mutex_t *outer, pthread_mutex_t *inner) {
  if (depth > 0) {
    lock_at_depth(depth - 1, outer, inner);
    __asm__ volatile("" ::: "memory");  // keeps the recursion a real call, not a tail jump
    return;
  }
  pthread_mutex_lock(outer);
  pthread_mutex_lock(inner);
  pthread_mutex_unlock(inner);
  pthread_mutex_unlock(outer);
}

void *make_inversions(void *argument) {
  const long self = (long)argument;
  struct pair *pairs = calloc((size_t)findings_per_thread, sizeof *pairs);
  if (pairs == NULL) return NULL;
  pthread_barrier_wait(&start_together);
  for (long i = 0; i < findings_per_thread; ++i) {
    pthread_mutex_init(&pairs[i].first, NULL);
    pthread_mutex_init(&pairs[i].second, NULL);
    const int depth = (int)(self * findings_per_thread + i);
    lock_at_depth(depth, &pairs[i].first, &pairs[i].second);
    lock_at_depth(depth, &pairs[i].second, &pairs[i].first);
  }
  return NULL;  // the pairs stay: a freed mutex's memory may come back as another's
}

static int run_child(long threads) {
  pthread_barrier_init(&start_together, NULL, (unsigned)threads);
  pthread_t *ids = calloc((size_t)threads, sizeof *ids);
  for (long t = 0; t < threads; ++t) pthread_create(&ids[t], NULL, make_inversions, (void *)t);
  for (long t = 0; t < threads; ++t) pthread_join(ids[t], NULL);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: report_writers CHILDREN THREADS FINDINGS\n");
    return 2;
  }
  const long children = strtol(argv[1], NULL, 10);
  const long threads = strtol(argv[2], NULL, 10);
  findings_per_thread = strtol(argv[3], NULL, 10);
  for (long c = 0; c < children; ++c) {
    const pid_t child = fork();
    if (child == 0) exit(run_child(threads));
    if (child < 0) return 1;
  }
  int failed = 0;
  for (long c = 0; c < children; ++c) {
    int status = 0;
    if (wait(&status) < 0 || !WIFEXITED(status)) ++failed;
  }
  printf("report_writers: %ld children, %ld threads each, %d failed\n", children, threads, failed);
  return failed == 0 ? 0 : 1;
}

// memory_bounds: workloads whose memory under lockwatch must stay bounded; prints its resident
// memory (VmRSS, kB, from /proc/self/status) at fixed points as "rss LABEL KB" lines, read by
// tools/memory_bounds.py, which compares them with a native run.
//   locks N      N live mutexes in one array, each initialised and locked nested under one
//                outer mutex (so each enters lockwatch's registry and lock-order graph: one edge
//                each); all destroyed; then the same again on the same memory (a second
//                generation of N locks at the same addresses). Prints rss before, after the
//                first round, after the second.
//   ops M        M lock operations (lock+unlock pairs, nested two deep in one global order) by
//                4 threads on 64 mutexes from 4 call sites: every edge and stack is known after
//                the first few thousand. Prints rss before, once the first tenth is done (the
//                threads wait, and the process sits still for 350 ms), at each further tenth,
//                and at the end.
// No inversion, no misuse: natively and under lockwatch it reports nothing and exits 0.
// Usage: memory_bounds locks N | memory_bounds ops M
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kThreads = 4, kLocks = 64 };

// read(2) into a stack buffer, not stdio: a thread's first fopen() would give it a malloc arena
// of its own, which is no growth of lockwatch's.
static long rss_kb(void) {
  char text[4096];
  const int fd = open("/proc/self/status", O_RDONLY);
  if (fd < 0) return -1;
  const ssize_t length = read(fd, text, sizeof text - 1);
  close(fd);
  if (length <= 0) return -1;
  text[length] = '\0';
  const char *field = strstr(text, "VmRSS:");
  return field != NULL ? strtol(field + 6, NULL, 10) : -1;
}

static void print_rss(const char *label) {
  char line[64];
  const int length = snprintf(line, sizeof line, "rss %s %ld\n", label, rss_kb());
  if (write(STDOUT_FILENO, line, (size_t)length) != length) exit(1);
}

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;

static void nest_each_under_outer(pthread_mutex_t *locks, long count) {
  for (long i = 0; i < count; ++i) pthread_mutex_init(&locks[i], NULL);
  for (long i = 0; i < count; ++i) {
    pthread_mutex_lock(&outer);
    pthread_mutex_lock(&locks[i]);
    pthread_mutex_unlock(&locks[i]);
    pthread_mutex_unlock(&outer);
  }
}

static int run_locks(long count) {
  pthread_mutex_t *locks = malloc((size_t)count * sizeof *locks);
  if (locks == NULL) return 1;
  memset(locks, 0, (size_t)count * sizeof *locks);  // resident before the first measurement
  print_rss("before");
  nest_each_under_outer(locks, count);
  print_rss("first_round");
  for (long i = 0; i < count; ++i) pthread_mutex_destroy(&locks[i]);
  nest_each_under_outer(locks, count);
  print_rss("second_round");
  for (long i = 0; i < count; ++i) pthread_mutex_destroy(&locks[i]);
  free(locks);
  return 0;
}

static pthread_mutex_t set[kLocks];
static long iterations_per_thread;

// Four call sites, each taking a lower-numbered lock, then a higher one.
static void site_0(int a, int b) { pthread_mutex_lock(&set[a]); pthread_mutex_lock(&set[b]); pthread_mutex_unlock(&set[b]); pthread_mutex_unlock(&set[a]); }
static void site_1(int a, int b) { pthread_mutex_lock(&set[a]); pthread_mutex_lock(&set[b]); pthread_mutex_unlock(&set[b]); pthread_mutex_unlock(&set[a]); }
static void site_2(int a, int b) { pthread_mutex_lock(&set[a]); pthread_mutex_lock(&set[b]); pthread_mutex_unlock(&set[b]); pthread_mutex_unlock(&set[a]); }
static void site_3(int a, int b) { pthread_mutex_lock(&set[a]); pthread_mutex_lock(&set[b]); pthread_mutex_unlock(&set[b]); pthread_mutex_unlock(&set[a]); }

static pthread_barrier_t warmed_up, measured;

void *lock_pairs_in_order(void *argument) {
  const long self = (long)argument;
  const long tenth = iterations_per_thread / 10;
  for (long i = 0; i < iterations_per_thread; ++i) {
    const int a = (int)((i + self * 17) % (kLocks - 4));
    const int b = a + 1 + (int)((i / (kLocks - 4)) % 3);
    switch (i & 3) {
      case 0: site_0(a, b); break;
      case 1: site_1(a, b); break;
      case 2: site_2(a, b); break;
      default: site_3(a, b); break;
    }
    if (i + 1 == tenth) {  // the first tenth done: main measures, then the rest runs
      pthread_barrier_wait(&warmed_up);
      pthread_barrier_wait(&measured);
    } else if (self == 0 && (i + 1) % tenth == 0) {
      char label[32];
      snprintf(label, sizeof label, "ops_%ld0pct", (i + 1) / tenth);
      print_rss(label);
    }
  }
  return NULL;
}

static int run_ops(long operations) {
  for (int i = 0; i < kLocks; ++i) pthread_mutex_init(&set[i], NULL);
  // Each iteration is two lock and two unlock calls: an operation is one lock+unlock.
  iterations_per_thread = operations / 2 / kThreads;
  if (iterations_per_thread < 10) return 2;
  pthread_barrier_init(&warmed_up, NULL, kThreads + 1);
  pthread_barrier_init(&measured, NULL, kThreads + 1);
  print_rss("before");
  pthread_t threads[kThreads];
  for (long t = 0; t < kThreads; ++t) pthread_create(&threads[t], NULL, lock_pairs_in_order, (void *)t);
  pthread_barrier_wait(&warmed_up);
  // Long enough for lockwatch's watchdog to have looked a few times (every 100 ms): its own
  // start-up is not growth per operation.
  const struct timespec pause = {0, 350 * 1000 * 1000};
  nanosleep(&pause, NULL);
  print_rss("warm");
  pthread_barrier_wait(&measured);
  for (int t = 0; t < kThreads; ++t) pthread_join(threads[t], NULL);
  print_rss("end");
  return 0;
}

int main(int argc, char **argv) {
  const long size = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
  if (size > 0 && strcmp(argv[1], "locks") == 0) return run_locks(size);
  if (size > 0 && strcmp(argv[1], "ops") == 0) return run_ops(size);
  fprintf(stderr, "usage: memory_bounds locks N | memory_bounds ops M\n");
  return 2;
}

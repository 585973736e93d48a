/* Argument parsing, timing, thread fan-out, peak-RSS reading and the JSON result line shared by
 * the lock benchmarks. Linux only: the peak RSS comes from /proc/self/status. */
#define _POSIX_C_SOURCE 200809L
#include "bench_harness.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long long monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (unsigned long long)now.tv_sec * 1000000000ULL + (unsigned long long)now.tv_nsec;
}

static int parse_positive(const char *text, unsigned long long *value) {
  char *end;
  errno = 0;
  *value = strtoull(text, &end, 10);
  return text[0] >= '0' && text[0] <= '9' && errno == 0 && *end == '\0' && *value > 0;
}

/* VmHWM counts this program image alone (under valgrind: the whole tool process, as wanted). The
 * parent's wait4 ru_maxrss cannot: Linux carries the high-water mark of the forked parent (a
 * Python interpreter, say) across exec into it. */
static long peak_rss_kib(void) {
  FILE *status = fopen("/proc/self/status", "r");
  if (!status) {
    return -1;
  }
  char line[256];
  long kib = -1;
  while (kib < 0 && fgets(line, sizeof line, status)) {
    sscanf(line, "VmHWM: %ld kB", &kib);
  }
  fclose(status);
  return kib;
}

struct thread_slice {
  void (*body)(unsigned, unsigned long long);
  unsigned index;
  unsigned long long iterations;
};

static void *run_slice(void *argument) {
  struct thread_slice *slice = argument;
  slice->body(slice->index, slice->iterations);
  return NULL;
}

void bench_run_threads(unsigned threads, unsigned long long iterations,
                       void (*body)(unsigned thread_index, unsigned long long iterations)) {
  pthread_t ids[64];
  struct thread_slice slices[64];
  for (unsigned i = 0; i < threads && i < 64; ++i) {
    slices[i] = (struct thread_slice){body, i, iterations / threads + (i < iterations % threads)};
    if (pthread_create(&ids[i], NULL, run_slice, &slices[i]) != 0) {
      perror("pthread_create");
      exit(1);
    }
  }
  for (unsigned i = 0; i < threads && i < 64; ++i) {
    pthread_join(ids[i], NULL);
  }
}

int bench_main(int argc, char **argv, const struct bench_workload *workload) {
  unsigned long long iterations, size = workload->default_size;
  int max_args = workload->prepare ? 3 : 2;
  if (argc < 2 || argc > max_args || !parse_positive(argv[1], &iterations) ||
      (argc == 3 && !parse_positive(argv[2], &size))) {
    if (workload->prepare) {
      fprintf(stderr, "usage: %s ITERATIONS [%s]  (positive integers, e.g. %s 1000000 %llu)\n", argv[0],
              workload->size_name, argv[0], workload->default_size);
    } else {
      fprintf(stderr, "usage: %s ITERATIONS  (a positive integer, e.g. %s 1000000)\n", argv[0], argv[0]);
    }
    return 2;
  }
  if (workload->prepare) {
    workload->prepare(size);
  }
  unsigned long long start = monotonic_ns();
  workload->run(iterations);
  unsigned long long elapsed = monotonic_ns() - start;
  unsigned long long ops = iterations * workload->ops_per_iteration;
  printf("{\"workload\":\"%s\",\"ops\":%llu,\"ns_per_op\":%.3f,\"maxrss_kib\":%ld}\n", workload->name, ops,
         (double)elapsed / (double)ops, peak_rss_kib());
  return 0;
}

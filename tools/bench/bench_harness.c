/* Argument parsing, timing, peak-RSS reading and the JSON result line shared by the lock
 * benchmarks. Linux only: the peak RSS comes from /proc/self/status. */
#define _POSIX_C_SOURCE 200809L
#include "bench_harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long long monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (unsigned long long)now.tv_sec * 1000000000ULL + (unsigned long long)now.tv_nsec;
}

static int parse_iterations(const char *text, unsigned long long *iterations) {
  char *end;
  errno = 0;
  *iterations = strtoull(text, &end, 10);
  return text[0] >= '0' && text[0] <= '9' && errno == 0 && *end == '\0' && *iterations > 0;
}

/* VmHWM counts this program image alone. The parent's wait4 ru_maxrss cannot: Linux carries the
 * high-water mark of the forked parent (a Python interpreter, say) across exec into it. */
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

int bench_main(int argc, char **argv, const struct bench_workload *workload) {
  unsigned long long iterations;
  if (argc != 2 || !parse_iterations(argv[1], &iterations)) {
    fprintf(stderr, "usage: %s ITERATIONS  (a positive integer, e.g. %s 1000000)\n", argv[0], argv[0]);
    return 2;
  }
  unsigned long long start = monotonic_ns();
  workload->run(iterations);
  unsigned long long elapsed = monotonic_ns() - start;
  unsigned long long ops = iterations * workload->ops_per_iteration;
  printf("{\"workload\":\"%s\",\"ops\":%llu,\"ns_per_op\":%.3f,\"maxrss_kib\":%ld}\n", workload->name, ops,
         (double)elapsed / (double)ops, peak_rss_kib());
  return 0;
}

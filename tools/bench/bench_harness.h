/* The frame every lock benchmark shares: parse ITERATIONS (and a workload's optional SIZE), time
 * the workload's loop alone with CLOCK_MONOTONIC (process start-up, preload initialisation and the
 * workload's prepare step stay outside the measurement), and print one JSON line that
 * tools/benchmark.py reads. Plain C, callable from C++, so the lock calls under test are ordinary
 * dynamically linked calls that LD_PRELOAD can interpose. */
#ifndef LOCKWATCH_BENCH_HARNESS_H
#define LOCKWATCH_BENCH_HARNESS_H

#ifdef __cplusplus
extern "C" {
#endif

struct bench_workload {
  const char *name;                     /* the "workload" field of the JSON line */
  unsigned long long ops_per_iteration; /* operations one iteration performs (each file says what an op is) */
  void (*run)(unsigned long long iterations);
  /* Optional (NULL/0 when the workload has no size besides ITERATIONS): the name of a second
   * argument in the usage line, its default, and an untimed step that gets its value. */
  const char *size_name;
  unsigned long long default_size;
  void (*prepare)(unsigned long long size);
};

/* Runs the workload and prints {"workload":...,"ops":...,"ns_per_op":...,"maxrss_kib":...} (peak
 * RSS of this process up to the end of the loop, -1 if unknown); returns main's status
 * (2 with a usage line on stderr when an argument is missing or not a positive integer). */
int bench_main(int argc, char **argv, const struct bench_workload *workload);

/* Splits ITERATIONS over THREADS threads that each run body(thread_index, own_iterations), joins
 * them, and returns. Thread start and join are inside the timed region (microseconds). */
void bench_run_threads(unsigned threads, unsigned long long iterations,
                       void (*body)(unsigned thread_index, unsigned long long iterations));

/* xorshift64*: a per-thread random stream that costs a few instructions and takes no lock. */
static inline unsigned long long bench_random(unsigned long long *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return *state * 2685821657736338717ULL;
}

#ifdef __cplusplus
}
#endif

#endif

/* The frame every lock benchmark shares: parse ITERATIONS, time the workload's loop alone with
 * CLOCK_MONOTONIC (process start-up and preload initialisation stay outside the measurement), and
 * print one JSON line that tools/benchmark.py reads. Plain C, so the lock calls under test are
 * ordinary dynamically linked calls that LD_PRELOAD can interpose. */
#ifndef LOCKWATCH_BENCH_HARNESS_H
#define LOCKWATCH_BENCH_HARNESS_H

struct bench_workload {
  const char *name;                     /* the "workload" field of the JSON line */
  unsigned long long ops_per_iteration; /* lock+unlock pairs one iteration performs */
  void (*run)(unsigned long long iterations);
};

/* Runs the workload and prints {"workload":...,"ops":...,"ns_per_op":...,"maxrss_kib":...} (peak
 * RSS of this process up to the end of the loop, -1 if unknown); returns main's status
 * (2 with a usage line on stderr when ITERATIONS is missing or not a positive integer). */
int bench_main(int argc, char **argv, const struct bench_workload *workload);

#endif

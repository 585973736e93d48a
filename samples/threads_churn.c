// threads_churn: THREADS threads created and joined BATCH at a time over the run, each locking
// a couple of mutexes (a shared pair in one order, and a mutex of its own nested under them), so
// lockwatch attaches and detaches a thread state for every one of them. With `exit_holding`,
// each thread instead takes its own mutex alone, after the pair, and returns holding it: one
// misuse:exit_holding finding (one code path), and a dead thread whose lock stays held for good.
// At the end it prints its peak and current resident memory (VmHWM, VmRSS from
// /proc/self/status): under lockwatch they must not grow with the number of threads, since
// thread states are recycled. No lock-order inversion: natively prints, exits 0.
// Usage: threads_churn THREADS BATCH [exit_holding]
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t inner = PTHREAD_MUTEX_INITIALIZER;
static int exit_holding;
static long critical_sections;

struct worker {
  pthread_t thread;
  pthread_mutex_t own;
};

void *lock_shared_then_own(void *argument) {
  struct worker *self = argument;
  pthread_mutex_lock(&outer);
  pthread_mutex_lock(&inner);
  if (!exit_holding) pthread_mutex_lock(&self->own);
  critical_sections++;
  if (!exit_holding) pthread_mutex_unlock(&self->own);
  pthread_mutex_unlock(&inner);
  pthread_mutex_unlock(&outer);
  // Never nested: the lock itself costs lockwatch little (no registry entry, no edge), so the
  // memory measured is what is kept of each dead holder.
  if (exit_holding) pthread_mutex_lock(&self->own);  // and return holding it
  return NULL;
}

// The kB value of `field` (e.g. "VmHWM:") in /proc/self/status, -1 when absent.
static long status_kb(const char *field) {
  FILE *status = fopen("/proc/self/status", "r");
  if (status == NULL) return -1;
  char line[256];
  long value = -1;
  while (fgets(line, sizeof line, status) != NULL) {
    if (strncmp(line, field, strlen(field)) == 0) {
      value = strtol(line + strlen(field), NULL, 10);
      break;
    }
  }
  fclose(status);
  return value;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: threads_churn THREADS BATCH [exit_holding]\n");
    return 2;
  }
  const long total = strtol(argv[1], NULL, 10);
  const long batch = strtol(argv[2], NULL, 10);
  exit_holding = argc > 3 && strcmp(argv[3], "exit_holding") == 0;
  if (total <= 0 || batch <= 0) {
    fprintf(stderr, "threads_churn: THREADS and BATCH must be positive\n");
    return 2;
  }
  struct worker *workers = calloc((size_t)batch, sizeof *workers);
  if (workers == NULL) return 1;
  long created = 0;
  while (created < total) {
    const long count = total - created < batch ? total - created : batch;
    for (long i = 0; i < count; ++i) {
      pthread_mutex_init(&workers[i].own, NULL);
      if (pthread_create(&workers[i].thread, NULL, lock_shared_then_own, &workers[i]) != 0) {
        fprintf(stderr, "threads_churn: cannot create thread %ld\n", created + i);
        return 1;
      }
    }
    for (long i = 0; i < count; ++i) pthread_join(workers[i].thread, NULL);
    // A mutex a dead thread still holds is never destroyed (destroy would be a misuse); each
    // batch gets fresh memory for its mutexes instead.
    if (exit_holding) {
      workers = calloc((size_t)batch, sizeof *workers);
      if (workers == NULL) return 1;
    } else {
      for (long i = 0; i < count; ++i) pthread_mutex_destroy(&workers[i].own);
    }
    created += count;
  }
  printf("threads_churn: %ld threads, %ld critical sections\n", created, critical_sections);
  fprintf(stderr, "threads_churn: VmHWM %ld kB VmRSS %ld kB\n", status_kb("VmHWM:"), status_kb("VmRSS:"));
  return 0;
}

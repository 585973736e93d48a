// long_hold_signal_taken: the program takes the real-time signal lockwatch samples stacks with
// (SIGRTMAX-3, the default sample_signal) for itself, and the thread that holds a lock for
// 1.5 s blocks every signal. lockwatch must never signal it: the program's handler counts
// what it receives and the program prints the count (0), the same natively and under
// lockwatch. Expected warnings: one long_hold whose holder stack is unavailable (the program
// handles the signal; or, with another sample_signal, the thread blocks it).
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t received;

static void count_signal(int signal) {
  (void)signal;
  ++received;
}

static void write_journal_with_signals_blocked(void) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  pthread_mutex_lock(&journal_lock);
  struct timespec start;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  volatile unsigned long sum = 0;
  do {
    for (unsigned long i = 0; i < 100000; ++i) sum += i;
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < 1500);
  pthread_mutex_unlock(&journal_lock);
}

static void* writer(void* unused) {
  (void)unused;
  write_journal_with_signals_blocked();
  return NULL;
}

int main(void) {
  struct sigaction action = {0};
  action.sa_handler = count_signal;
  sigaction(SIGRTMAX - 3, &action, NULL);
  pthread_t thread;
  pthread_create(&thread, NULL, writer, NULL);
  pthread_join(thread, NULL);
  printf("long_hold_signal_taken: signals received: %d\n", (int)received);
  return 0;
}

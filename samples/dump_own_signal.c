// dump_own_signal: a program that handles lockwatch's sample signal (61, SIGRTMAX-3) itself,
// with a handler it installs once running, and a second thread (so lockwatch's watchdog runs).
// A `lockwatch dump` request must not run the program's handler: it is refused, and the
// program, once its stdin closes, prints how often its handler ran (0) and exits with that
// count. Natively: prints 0, exits 0.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_signal(int signal_number) {
  (void)signal_number;
  handled = handled + 1;
}

static void *wait_for_stdin_to_close(void *unused) {
  char buffer[64];
  while (read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
  }
  return unused;
}

int main(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigaction(SIGRTMAX - 3, &action, NULL);
  pthread_t reader;
  if (pthread_create(&reader, NULL, wait_for_stdin_to_close, NULL) != 0) return 1;
  pthread_join(reader, NULL);
  printf("dump_own_signal: the handler ran %d times\n", (int)handled);
  return handled;
}

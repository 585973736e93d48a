// exit_in_signal_handler: a SIGALRM handler calls exit() (POSIX says a handler must not; programs
// do, on SIGTERM above all) while the thread it interrupts is inside lockwatch, reporting a
// lock-order inversion: its stacks are being symbolized, under the symbolizer's lock and often
// inside malloc. The process must still end, by exit(): lockwatch's exit handler must neither
// wait for locks its own thread holds and will never release (run with
// profile_min_contended=0, writing the profile at exit symbolizes too) nor allocate. An idle
// second thread makes malloc take its locks.
//
//   exit_in_signal_handler            runs itself as children (fresh processes: nothing
//                                     symbolized yet), the alarm set 0.1 to 3 ms before each
//                                     one's inversion; waits up to 20 s for each. Exits 0 when
//                                     every child exited by itself, 1 when one had to be killed
//                                     or died of a signal.
//   exit_in_signal_handler DELAY_US   one such child.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void exit_now(int signal_number) {
  (void)signal_number;
  exit(0);
}

static void *idle(void *unused) {
  while (pause() == -1) continue;  // pause() only ever returns -1
  return unused;
}

static _Noreturn void run_child(long delay_us) {
  signal(SIGALRM, exit_now);
  pthread_t idle_thread;
  sigset_t alarm_only;
  sigemptyset(&alarm_only);
  sigaddset(&alarm_only, SIGALRM);
  pthread_sigmask(SIG_BLOCK, &alarm_only, NULL);  // the alarm goes to this thread, not the idle one
  pthread_create(&idle_thread, NULL, idle, NULL);
  pthread_sigmask(SIG_UNBLOCK, &alarm_only, NULL);
  pthread_mutex_lock(&lock_a);
  pthread_mutex_lock(&lock_b);
  pthread_mutex_unlock(&lock_b);
  pthread_mutex_unlock(&lock_a);
  struct itimerval alarm_in = {{0, 0}, {delay_us / 1000000, delay_us % 1000000}};
  setitimer(ITIMER_REAL, &alarm_in, NULL);
  pthread_mutex_lock(&lock_b);
  pthread_mutex_lock(&lock_a);  // B then A: the inversion, reported here
  pthread_mutex_unlock(&lock_a);
  pthread_mutex_unlock(&lock_b);
  for (;;) pause();  // the alarm ends the process, here or in the report
}

// Whether the child `pid` exited by itself within `seconds` (said on stderr when not); killed
// when it did not end.
static int exited_within(pid_t pid, int seconds, const char *delay_us) {
  const struct timespec tick = {0, 10 * 1000 * 1000};
  for (int waited = 0; waited < seconds * 100; ++waited) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      if (WIFEXITED(status)) return 1;
      fprintf(stderr, "exit_in_signal_handler: the child with the alarm at %s us died of signal %d\n", delay_us,
              WTERMSIG(status));
      return 0;
    }
    nanosleep(&tick, NULL);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  fprintf(stderr, "exit_in_signal_handler: the child with the alarm at %s us hung in exit()\n", delay_us);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1) run_child(atol(argv[1]));
  static const char *const delays_us[] = {"100", "300", "1000", "3000"};
  int failed = 0;
  for (size_t i = 0; i < sizeof delays_us / sizeof delays_us[0]; ++i) {
    const pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) {
      execl("/proc/self/exe", argv[0], delays_us[i], (char *)NULL);
      _exit(127);
    }
    if (!exited_within(pid, 20, delays_us[i])) failed = 1;
  }
  return failed;
}

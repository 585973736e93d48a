// clean_signal_posts_semaphore: main waits on a semaphore that a SIGALRM handler posts after
// 1.5 s (sem_post is async-signal-safe: the POSIX idiom), while a worker idles in a condition
// wait. For those 1.5 s every thread is blocked, yet the program is not hung. Expected: no
// finding, and the same output and status (0) as natively.
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>

static sem_t alarm_rang;
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_arrived = PTHREAD_COND_INITIALIZER;
static int stopping;

static void on_alarm(int signal) {
  (void)signal;
  sem_post(&alarm_rang);
}

static void* idle_worker(void* unused) {
  (void)unused;
  pthread_mutex_lock(&idle_lock);
  while (!stopping) pthread_cond_wait(&work_arrived, &idle_lock);
  pthread_mutex_unlock(&idle_lock);
  return NULL;
}

int main(void) {
  sem_init(&alarm_rang, 0, 0);
  struct sigaction action = {0};
  action.sa_handler = on_alarm;
  sigaction(SIGALRM, &action, NULL);
  pthread_t worker;
  pthread_create(&worker, NULL, idle_worker, NULL);
  struct itimerval in_a_while = {{0, 0}, {1, 500000}};
  setitimer(ITIMER_REAL, &in_a_while, NULL);
  while (sem_wait(&alarm_rang) != 0) {
  }
  pthread_mutex_lock(&idle_lock);
  stopping = 1;
  pthread_cond_signal(&work_arrived);
  pthread_mutex_unlock(&idle_lock);
  pthread_join(worker, NULL);
  puts("clean_signal_posts_semaphore: clean shutdown");
  return 0;
}

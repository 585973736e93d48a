// fork_child_profile_waits: what the parent's threads were doing is no part of a forked child.
// Two threads take a hot mutex 100,000 times each; a third waits on a condition variable while
// main forks. The child then initialises that condition variable again (its waiter is a thread
// the child has not), waits on it briefly with another mutex, and takes the hot mutex once.
// lockwatch must report nothing in either process (no reinit_live, no cond_multiple_mutexes
// from the parent's waiter), and the child's profile must count the child's one acquisition of
// the hot mutex, not the parent's 200,000.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t hot;
static pthread_mutex_t wait_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t other_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t condition = PTHREAD_COND_INITIALIZER;
static int waiting, released;
static long counter;

void make_hot_lock(void) { pthread_mutex_init(&hot, NULL); }

void *take_hot_lock(void *unused) {
  (void)unused;
  for (int i = 0; i < 100000; ++i) {
    pthread_mutex_lock(&hot);
    counter++;
    pthread_mutex_unlock(&hot);
  }
  return NULL;
}

void *wait_across_fork(void *unused) {
  (void)unused;
  pthread_mutex_lock(&wait_mutex);
  waiting = 1;
  while (!released) pthread_cond_wait(&condition, &wait_mutex);
  pthread_mutex_unlock(&wait_mutex);
  return NULL;
}

static int run_child(void) {
  pthread_cond_init(&condition, NULL);  // its waiter did not survive the fork
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 1000000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&other_mutex);
  pthread_cond_timedwait(&condition, &other_mutex, &deadline);
  pthread_mutex_unlock(&other_mutex);
  pthread_mutex_lock(&hot);
  pthread_mutex_unlock(&hot);
  return 0;
}

int main(void) {
  make_hot_lock();
  pthread_t workers[2], waiter;
  for (int i = 0; i < 2; ++i) pthread_create(&workers[i], NULL, take_hot_lock, NULL);
  for (int i = 0; i < 2; ++i) pthread_join(workers[i], NULL);
  pthread_create(&waiter, NULL, wait_across_fork, NULL);
  for (int ready = 0; !ready;) {  // the lock is free again only once the waiter is in its wait
    pthread_mutex_lock(&wait_mutex);
    ready = waiting;
    pthread_mutex_unlock(&wait_mutex);
  }
  const pid_t child = fork();
  if (child == 0) exit(run_child());
  pthread_mutex_lock(&wait_mutex);
  released = 1;
  pthread_cond_signal(&condition);
  pthread_mutex_unlock(&wait_mutex);
  pthread_join(waiter, NULL);
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "fork_child_profile_waits: the child failed\n");
    return 1;
  }
  printf("fork_child_profile_waits: %ld increments, the child ran\n", counter);
  return 0;
}

// fork() from a multithreaded program while other threads lock, nest and create mutexes.
// The program holds its own mutexes across fork() with pthread_atfork, as POSIX asks; every
// child then locks them and starts a thread of its own, so a lock of lockwatch's that a
// vanished parent thread held across fork() would hang the child.
// No lock-order inversion anywhere: lockwatch must report nothing and every child must exit 0.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kWorkers = 4, kChildren = 40 };

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t inner = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop;

static void lock_in_order(void) {
  pthread_mutex_lock(&outer);
  pthread_mutex_lock(&inner);
  pthread_mutex_unlock(&inner);
  pthread_mutex_unlock(&outer);
}

// Fresh mutexes nested under `outer` keep lockwatch on its slow paths (new locks, new edges).
static void nest_fresh_mutex(void) {
  pthread_mutex_t* fresh = malloc(sizeof *fresh);
  pthread_mutex_init(fresh, NULL);
  pthread_mutex_lock(&outer);
  pthread_mutex_lock(fresh);
  pthread_mutex_unlock(fresh);
  pthread_mutex_unlock(&outer);
  pthread_mutex_destroy(fresh);
  free(fresh);
}

static void* worker(void* unused) {
  (void)unused;
  while (!stop) {
    lock_in_order();
    nest_fresh_mutex();
  }
  return NULL;
}

static void* child_thread(void* unused) {
  (void)unused;
  lock_in_order();
  return NULL;
}

static int run_child(void) {
  lock_in_order();
  nest_fresh_mutex();
  pthread_t thread;
  if (pthread_create(&thread, NULL, child_thread, NULL) != 0) return 1;
  pthread_join(thread, NULL);
  return 0;
}

static void before_fork(void) {
  pthread_mutex_lock(&outer);
  pthread_mutex_lock(&inner);
}

static void after_fork(void) {
  pthread_mutex_unlock(&inner);
  pthread_mutex_unlock(&outer);
}

int main(void) {
  pthread_atfork(before_fork, after_fork, after_fork);
  pthread_t workers[kWorkers];
  for (int i = 0; i < kWorkers; ++i) pthread_create(&workers[i], NULL, worker, NULL);
  int failed = 0;
  for (int i = 0; i < kChildren; ++i) {
    pid_t child = fork();
    if (child == 0) {
      // Half the children end through exit() (lockwatch writes their own report), half
      // through _exit() (nothing of lockwatch's runs).
      if (i % 2 == 0) exit(run_child());
      _exit(run_child());
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  stop = 1;
  for (int i = 0; i < kWorkers; ++i) pthread_join(workers[i], NULL);
  printf("fork_while_locking: %d children, %d failed\n", kChildren, failed);
  return failed == 0 ? 0 : 1;
}

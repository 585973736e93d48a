// spawn_child: starts PROGRAM as a child process while this process holds locks (one held by
// main, which starts the child, one by a second thread), in one of three ways:
//   fork-exec    fork(); the child releases the lock main held (it holds it too, in its copy),
//                locks another alone, then execs PROGRAM;
//   posix-spawn  posix_spawn(PROGRAM);
//   vfork-exec   vfork(); the child shares this process's memory until it execs, which it does
//                at once (all POSIX allows a vfork child: it takes no lock).
// The child's program reports for itself (its own report file); nothing of this process is
// attributed to it.
// Run with PROGRAM = the abba sample: exactly one lock_order_inversion, in abba's report; this
// process reports nothing and exits 0.
// Usage: spawn_child fork-exec|posix-spawn|vfork-exec PROGRAM
#include <pthread.h>
#include <semaphore.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static pthread_mutex_t held_by_main = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t held_by_thread = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t second = PTHREAD_MUTEX_INITIALIZER;
static sem_t thread_holds, child_started;

void *hold_lock_while_child_starts(void *unused) {
  (void)unused;
  pthread_mutex_lock(&held_by_thread);
  sem_post(&thread_holds);
  sem_wait(&child_started);
  pthread_mutex_unlock(&held_by_thread);
  return NULL;
}

void lock_first_then_second(void) {
  pthread_mutex_lock(&first);
  pthread_mutex_lock(&second);
  pthread_mutex_unlock(&second);
  pthread_mutex_unlock(&first);
}

static pid_t start_child(const char *how, char *program) {
  char *child_argv[] = {program, NULL};
  pid_t child = -1;
  if (strcmp(how, "posix-spawn") == 0) {
    if (posix_spawn(&child, program, NULL, NULL, child_argv, environ) != 0) return -1;
  } else if (strcmp(how, "fork-exec") == 0) {
    child = fork();
    if (child == 0) {
      pthread_mutex_unlock(&held_by_main);  // this thread holds it in the child's copy too
      pthread_mutex_lock(&first);
      pthread_mutex_unlock(&first);
      execve(program, child_argv, environ);
      _exit(127);
    }
  } else if (strcmp(how, "vfork-exec") == 0) {
    child = vfork();
    if (child == 0) {
      execve(program, child_argv, environ);
      _exit(127);
    }
  }
  return child;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: spawn_child fork-exec|posix-spawn|vfork-exec PROGRAM\n");
    return 2;
  }
  sem_init(&thread_holds, 0, 0);
  sem_init(&child_started, 0, 0);
  lock_first_then_second();
  pthread_t thread;
  if (pthread_create(&thread, NULL, hold_lock_while_child_starts, NULL) != 0) return 1;
  sem_wait(&thread_holds);
  pthread_mutex_lock(&held_by_main);
  const pid_t child = start_child(argv[1], argv[2]);
  sem_post(&child_started);
  pthread_mutex_unlock(&held_by_main);
  pthread_join(thread, NULL);
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) {
    fprintf(stderr, "spawn_child: cannot %s %s\n", argv[1], argv[2]);
    return 1;
  }
  // The child's status is its own business (abba exits 66 under lockwatch, 0 natively).
  printf("spawn_child: %s ran %s (%s)\n", argv[1], argv[2],
         WIFEXITED(status) && WEXITSTATUS(status) != 127 ? "exited" : "failed");
  lock_first_then_second();
  return 0;
}

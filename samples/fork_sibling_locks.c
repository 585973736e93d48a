// fork_sibling_locks: fork() while main holds one of four sibling mutexes and a second thread
// holds another. In the child only main exists: it holds its copy of main's lock (and releases
// it), while the second thread's lock is locked by a thread that is gone, so the child
// re-initialises it (the usual recovery: no reinit_live, its holder is not in the child). The
// child then locks the siblings in orders that close a cycle only if a lock held in the parent
// still counted as held in the child: lockwatch must report nothing there. Then the child makes
// one true inversion of its own (main: 2 then 3; a new thread: 3 then 2), which must be
// reported in the child's report, naming the child's threads. The parent, after the fork,
// locks 1 then 0 (the child locked 0 then 1: separate processes, no inversion).
// With `unattached`, main makes no lock call before it forks (it waits on a pipe, not a
// semaphore, and holds nothing), so lockwatch has no state for it when it forks.
// Exactly one lock_order_inversion, in the child; the parent exits 0.
// Usage: fork_sibling_locks [unattached]
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t accounts[4] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                      PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static pthread_mutex_t thread_own = PTHREAD_MUTEX_INITIALIZER;
static int thread_holds[2], forked[2];  // pipes: no lock call of main's before the fork
static int main_holds_account_1;

void *hold_account_0_across_fork(void *unused) {
  (void)unused;
  char byte = 0;
  pthread_mutex_lock(&accounts[0]);
  pthread_mutex_lock(&thread_own);  // account 0 nested: lockwatch knows it as a lock
  pthread_mutex_unlock(&thread_own);
  if (write(thread_holds[1], &byte, 1) != 1 || read(forked[0], &byte, 1) != 1) exit(1);
  pthread_mutex_unlock(&accounts[0]);
  return NULL;
}

// If account 0 or 1 still counted as held by this thread, the first lock of account 2 would
// order them before it, and the nested locks after it would close a cycle.
void child_recovers_and_orders_siblings(void) {
  if (main_holds_account_1) pthread_mutex_unlock(&accounts[1]);  // main held it at the fork: so does the child
  pthread_mutex_init(&accounts[0], NULL);      // its holder did not survive the fork
  pthread_mutex_lock(&accounts[2]);
  pthread_mutex_unlock(&accounts[2]);
  pthread_mutex_lock(&accounts[2]);
  pthread_mutex_lock(&accounts[0]);
  pthread_mutex_lock(&accounts[1]);
  pthread_mutex_unlock(&accounts[1]);
  pthread_mutex_unlock(&accounts[0]);
  pthread_mutex_unlock(&accounts[2]);
}

void child_locks_2_then_3(void) {
  pthread_mutex_lock(&accounts[2]);
  pthread_mutex_lock(&accounts[3]);
  pthread_mutex_unlock(&accounts[3]);
  pthread_mutex_unlock(&accounts[2]);
}

void *child_thread_locks_3_then_2(void *unused) {
  (void)unused;
  pthread_mutex_lock(&accounts[3]);
  pthread_mutex_lock(&accounts[2]);
  pthread_mutex_unlock(&accounts[2]);
  pthread_mutex_unlock(&accounts[3]);
  return NULL;
}

static int run_child(void) {
  child_recovers_and_orders_siblings();
  child_locks_2_then_3();
  pthread_t thread;
  if (pthread_create(&thread, NULL, child_thread_locks_3_then_2, NULL) != 0) return 1;
  pthread_join(thread, NULL);
  return 0;
}

int main(int argc, char **argv) {
  main_holds_account_1 = !(argc > 1 && strcmp(argv[1], "unattached") == 0);
  char byte = 0;
  if (pipe(thread_holds) != 0 || pipe(forked) != 0) return 1;
  pthread_t thread;
  if (pthread_create(&thread, NULL, hold_account_0_across_fork, NULL) != 0) return 1;
  if (read(thread_holds[0], &byte, 1) != 1) return 1;
  if (main_holds_account_1) pthread_mutex_lock(&accounts[1]);
  const pid_t child = fork();
  if (child == 0) exit(run_child());
  if (write(forked[1], &byte, 1) != 1) return 1;
  pthread_join(thread, NULL);
  if (!main_holds_account_1) pthread_mutex_lock(&accounts[1]);
  pthread_mutex_lock(&accounts[0]);  // the parent: 1 then 0
  pthread_mutex_unlock(&accounts[0]);
  pthread_mutex_unlock(&accounts[1]);
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status)) {
    fprintf(stderr, "fork_sibling_locks: the child failed\n");
    return 1;
  }
  // The child's own status is 66 under lockwatch (its inversion), 0 natively.
  printf("fork_sibling_locks: the child ran\n");
  return 0;
}

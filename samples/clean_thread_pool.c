// clean_thread_pool: a work queue on one mutex and two condvars, used correctly; lockwatch must
// report nothing. main submits 1000 tasks one by one to 4 workers, waits until all are done, then
// shuts the pool down; every signal and broadcast is made holding the mutex. The result of each
// task depends only on its number, so the output is fixed. Exits 0.
#include <pthread.h>
#include <stdio.h>

enum { kWorkers = 4, kTasks = 1000 };

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t task_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static int submitted, taken, completed, shutting_down;  // guarded by queue_lock
static long results[kTasks];                            // results[i] is written by the worker of task i

static long collatz_steps(long n) {
  long steps = 0;
  for (; n != 1; steps++) n = n % 2 == 0 ? n / 2 : 3 * n + 1;
  return steps;
}

void *work_until_shutdown(void *unused) {
  (void)unused;
  pthread_mutex_lock(&queue_lock);
  for (;;) {
    while (taken == submitted && !shutting_down) pthread_cond_wait(&task_ready, &queue_lock);
    if (taken == submitted) break;  // shutting down, nothing left
    int task = taken++;
    pthread_mutex_unlock(&queue_lock);
    results[task] = collatz_steps(task + 1);
    pthread_mutex_lock(&queue_lock);
    if (++completed == kTasks) pthread_cond_signal(&all_done);
  }
  pthread_mutex_unlock(&queue_lock);
  return NULL;
}

int main(void) {
  pthread_t workers[kWorkers];
  for (int i = 0; i < kWorkers; i++) {
    if (pthread_create(&workers[i], NULL, work_until_shutdown, NULL) != 0) {
      fprintf(stderr, "clean_thread_pool: cannot create worker %d\n", i);
      return 1;
    }
  }
  for (int task = 0; task < kTasks; task++) {
    pthread_mutex_lock(&queue_lock);
    submitted++;
    pthread_cond_signal(&task_ready);
    pthread_mutex_unlock(&queue_lock);
  }
  pthread_mutex_lock(&queue_lock);
  while (completed < kTasks) pthread_cond_wait(&all_done, &queue_lock);
  shutting_down = 1;
  pthread_cond_broadcast(&task_ready);
  pthread_mutex_unlock(&queue_lock);
  for (int i = 0; i < kWorkers; i++) pthread_join(workers[i], NULL);
  long total = 0;
  for (int task = 0; task < kTasks; task++) total += results[task];
  printf("clean_thread_pool: %d tasks on %d workers, %ld Collatz steps\n", kTasks, kWorkers, total);
  return 0;
}

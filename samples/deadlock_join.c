// deadlock_join: main holds a mutex and joins a worker that needs that mutex to finish, so
// both wait for each other for good (natively the program hangs). No lock-order cycle
// exists: only the wait-for graph, with the join as an edge, shows it. Expected: one
// deadlock (main joins the worker; the worker waits for the mutex main holds), and the
// process ending with exitcode within stall_ms + 2 s.
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t shutting_down;

static void* register_and_finish(void* unused) {
  (void)unused;
  pthread_barrier_wait(&shutting_down);
  pthread_mutex_lock(&registry);
  pthread_mutex_unlock(&registry);
  return NULL;
}

static void shut_down_holding_registry(pthread_t worker) {
  pthread_mutex_lock(&registry);
  pthread_barrier_wait(&shutting_down);
  pthread_join(worker, NULL);
  pthread_mutex_unlock(&registry);
}

int main(void) {
  pthread_barrier_init(&shutting_down, NULL, 2);
  pthread_t worker;
  pthread_create(&worker, NULL, register_and_finish, NULL);
  shut_down_holding_registry(worker);
  puts("deadlock_join: not reached");
  return 0;
}

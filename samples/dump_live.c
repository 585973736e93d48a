// dump_live: a live process with 8 threads in different states, for `lockwatch dump PID`:
// 3 wait for a mutex main holds, 2 wait on a condition variable, 2 sleep, 1 computes. It
// prints "ready" when they are all in place and ends cleanly (status 0) once its standard
// input is closed: the threads are released, joined, and nothing is a bug.
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t state_changed = PTHREAD_COND_INITIALIZER;
static volatile int finished;
static int started;

static void arrive(void) {
  pthread_mutex_lock(&state_lock);
  ++started;
  pthread_cond_broadcast(&state_changed);
  pthread_mutex_unlock(&state_lock);
}

static void* wait_at_gate(void* unused) {
  (void)unused;
  arrive();
  pthread_mutex_lock(&gate);
  pthread_mutex_unlock(&gate);
  return NULL;
}

static void* wait_for_finish(void* unused) {
  (void)unused;
  arrive();
  pthread_mutex_lock(&state_lock);
  while (!finished) pthread_cond_wait(&state_changed, &state_lock);
  pthread_mutex_unlock(&state_lock);
  return NULL;
}

static void* nap_until_finish(void* unused) {
  (void)unused;
  arrive();
  while (!finished) usleep(20 * 1000);
  return NULL;
}

static void* compute_until_finish(void* unused) {
  (void)unused;
  arrive();
  volatile unsigned long sum = 0;
  while (!finished) {
    for (unsigned long i = 0; i < 10000; ++i) sum += i;
  }
  return NULL;
}

int main(void) {
  void* (*roles[8])(void*) = {wait_at_gate,     wait_at_gate,     wait_at_gate,     wait_for_finish,
                              wait_for_finish,  nap_until_finish, nap_until_finish, compute_until_finish};
  pthread_t threads[8];
  pthread_mutex_lock(&gate);
  for (int i = 0; i < 8; ++i) pthread_create(&threads[i], NULL, roles[i], NULL);
  pthread_mutex_lock(&state_lock);
  while (started < 8) pthread_cond_wait(&state_changed, &state_lock);
  pthread_mutex_unlock(&state_lock);
  usleep(200 * 1000);  // the gate waiters are blocked by now
  puts("ready");
  fflush(stdout);
  char buffer[64];
  while (read(0, buffer, sizeof buffer) > 0) {
  }
  pthread_mutex_lock(&state_lock);
  finished = 1;
  pthread_cond_broadcast(&state_changed);
  pthread_mutex_unlock(&state_lock);
  pthread_mutex_unlock(&gate);
  for (int i = 0; i < 8; ++i) pthread_join(threads[i], NULL);
  puts("dump_live: done");
  return 0;
}

// A thread cancelled while blocked in pthread_cond_wait, with a cleanup handler that unlocks the
// mutex (glibc re-locks it before cleanup handlers run); the condvar is then destroyed and
// re-initialised. Correct program: lockwatch must report nothing (no exit_holding, no
// destroy_busy or reinit_live from a wait that ended by cancellation).
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c;
static int ready;
static void cleanup(void *arg) { pthread_mutex_unlock(&m); }
static void *waiter(void *arg) {
  pthread_mutex_lock(&m);
  pthread_cleanup_push(cleanup, NULL);
  ready = 1;
  for (;;) pthread_cond_wait(&c, &m);
  pthread_cleanup_pop(1);
  return NULL;
}
int main(void) {
  pthread_cond_init(&c, NULL);
  pthread_t t;
  pthread_create(&t, NULL, waiter, NULL);
  for (;;) { pthread_mutex_lock(&m); int r = ready; pthread_mutex_unlock(&m); if (r) break; usleep(1000); }
  usleep(10000);
  pthread_cancel(t);
  void *res;
  pthread_join(t, &res);
  printf("cancelled=%d\n", res == PTHREAD_CANCELED);
  pthread_cond_destroy(&c);
  pthread_cond_init(&c, NULL);
  pthread_cond_destroy(&c);
  return 0;
}

// stall_sleeping_holder: a thread takes a mutex and then sleeps 3 s holding it (a slow call
// made in a critical section); another thread waits for that mutex the whole time. Nothing
// is deadlocked: the program ends by itself, with status 0, natively and under lockwatch.
// Expected warnings: one stall (the waiter, and the holder where it is now: in its sleep,
// called from sleep_holding_lock), one long_hold of the mutex and its long_hold_end.
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t holder_has_it;

static void sleep_holding_lock(void) {
  pthread_mutex_lock(&config_lock);
  pthread_barrier_wait(&holder_has_it);
  sleep(3);
  pthread_mutex_unlock(&config_lock);
}

static void* holder(void* unused) {
  (void)unused;
  sleep_holding_lock();
  return NULL;
}

static void read_config(void) {
  pthread_mutex_lock(&config_lock);
  pthread_mutex_unlock(&config_lock);
}

static void* waiter(void* unused) {
  (void)unused;
  pthread_barrier_wait(&holder_has_it);
  read_config();
  return NULL;
}

int main(void) {
  pthread_barrier_init(&holder_has_it, NULL, 2);
  pthread_t threads[2];
  pthread_create(&threads[0], NULL, holder, NULL);
  pthread_create(&threads[1], NULL, waiter, NULL);
  pthread_join(threads[0], NULL);
  pthread_join(threads[1], NULL);
  puts("stall_sleeping_holder: done");
  return 0;
}

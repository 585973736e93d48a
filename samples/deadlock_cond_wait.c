// deadlock_cond_wait: a consumer waits on a condition variable while still holding a second
// mutex (the cache lock); the producer, which signalled that condition variable before, now
// needs the cache lock before it can signal again. Neither can go on (natively the program
// hangs). Expected: one deadlock naming the condition wait and the mutex (reported once every
// thread has been blocked stall_ms: only then is it certain no other thread would signal),
// and the process ending with exitcode within stall_ms + 2 s.
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_filled = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int items;

static void take_item_holding_cache(void) {
  pthread_mutex_lock(&cache_lock);
  pthread_mutex_lock(&queue_lock);
  while (items == 0) pthread_cond_wait(&queue_filled, &queue_lock);
  --items;
  pthread_mutex_unlock(&queue_lock);
  pthread_mutex_unlock(&cache_lock);
}

static void* consumer(void* unused) {
  (void)unused;
  take_item_holding_cache();
  take_item_holding_cache();
  return NULL;
}

static void put_item(void) {
  pthread_mutex_lock(&queue_lock);
  ++items;
  pthread_cond_signal(&queue_filled);
  pthread_mutex_unlock(&queue_lock);
}

static void put_item_after_cache_update(void) {
  pthread_mutex_lock(&cache_lock);
  pthread_mutex_unlock(&cache_lock);
  put_item();
}

static void* producer(void* unused) {
  (void)unused;
  usleep(50 * 1000);
  put_item();
  usleep(100 * 1000);  // the consumer now waits again, holding the cache lock
  put_item_after_cache_update();
  return NULL;
}

int main(void) {
  pthread_t threads[2];
  pthread_create(&threads[0], NULL, consumer, NULL);
  pthread_create(&threads[1], NULL, producer, NULL);
  pthread_join(threads[0], NULL);
  pthread_join(threads[1], NULL);
  puts("deadlock_cond_wait: not reached");
  return 0;
}

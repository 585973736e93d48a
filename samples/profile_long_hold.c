// profile_long_hold: a thread holds a lock for 300 ms at a time, three times, while two other
// threads wait for it; nothing is a bug (the run takes about a second). Expected profile: the
// lock ranks first by wait time, with a maximum hold of about 300 ms.
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t started;

static void sleep_ms(long ms) {
  struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&delay, &delay) != 0) {
  }
}

static void write_report_slowly(void) {
  pthread_mutex_lock(&report_lock);
  sleep_ms(300);
  pthread_mutex_unlock(&report_lock);
}

static void* writer(void* unused) {
  (void)unused;
  pthread_barrier_wait(&started);
  for (int i = 0; i < 3; ++i) {
    write_report_slowly();
    sleep_ms(5);
  }
  return NULL;
}

static void* reader(void* unused) {
  (void)unused;
  pthread_barrier_wait(&started);
  sleep_ms(20);
  for (int i = 0; i < 3; ++i) {
    pthread_mutex_lock(&report_lock);
    pthread_mutex_unlock(&report_lock);
    sleep_ms(100);
  }
  return NULL;
}

int main(void) {
  pthread_barrier_init(&started, NULL, 3);
  pthread_t threads[3];
  pthread_create(&threads[0], NULL, writer, NULL);
  pthread_create(&threads[1], NULL, reader, NULL);
  pthread_create(&threads[2], NULL, reader, NULL);
  for (int i = 0; i < 3; ++i) pthread_join(threads[i], NULL);
  puts("profile_long_hold: done");
  return 0;
}

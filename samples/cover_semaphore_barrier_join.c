// cover_semaphore_barrier_join: semaphores, a barrier and every kind of join, used correctly;
// lockwatch must report nothing. main posts items to a semaphore; 4 workers take a fixed share
// each, by sem_wait, sem_timedwait, sem_clockwait and sem_trywait respectively (the deadlines are
// 10 s away and never reached), meet main at a barrier, and are joined by pthread_join,
// pthread_timedjoin_np, pthread_clockjoin_np and pthread_join. Fixed output. Exits 0.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum { kWorkers = 4, kItemsPerWorker = 250 };

static sem_t items;
static pthread_barrier_t finished;
static pthread_mutex_t serial_lock = PTHREAD_MUTEX_INITIALIZER;
static int serial_threads;  // guarded by serial_lock

static struct timespec seconds_from_now(clockid_t clock, int seconds) {
  struct timespec deadline;
  clock_gettime(clock, &deadline);
  deadline.tv_sec += seconds;
  return deadline;
}

// Exactly one of the kWorkers + 1 threads at the barrier is told it is the serial thread.
static void meet_at_barrier(void) {
  if (pthread_barrier_wait(&finished) == PTHREAD_BARRIER_SERIAL_THREAD) {
    pthread_mutex_lock(&serial_lock);
    serial_threads++;
    pthread_mutex_unlock(&serial_lock);
  }
}

static int take_item(int way) {
  struct timespec deadline;
  switch (way) {
    case 0:
      return sem_wait(&items);
    case 1:
      deadline = seconds_from_now(CLOCK_REALTIME, 10);
      return sem_timedwait(&items, &deadline);
    case 2:
      deadline = seconds_from_now(CLOCK_MONOTONIC, 10);
      return sem_clockwait(&items, CLOCK_MONOTONIC, &deadline);
    default:
      while (sem_trywait(&items) != 0) {
        if (errno != EAGAIN) return -1;
        sched_yield();
      }
      return 0;
  }
}

void *take_share_then_meet(void *way_as_pointer) {
  int way = (int)(intptr_t)way_as_pointer;
  intptr_t taken = 0;
  for (int i = 0; i < kItemsPerWorker; i++) {
    if (take_item(way) == 0) taken++;
  }
  meet_at_barrier();
  return (void *)taken;
}

static int join_worker(pthread_t worker, int way, void **taken) {
  struct timespec deadline;
  switch (way) {
    case 1:
      deadline = seconds_from_now(CLOCK_REALTIME, 10);
      return pthread_timedjoin_np(worker, taken, &deadline);
    case 2:
      deadline = seconds_from_now(CLOCK_MONOTONIC, 10);
      return pthread_clockjoin_np(worker, taken, CLOCK_MONOTONIC, &deadline);
    default:
      return pthread_join(worker, taken);
  }
}

int main(void) {
  sem_init(&items, 0, 0);
  pthread_barrier_init(&finished, NULL, kWorkers + 1);
  pthread_t workers[kWorkers];
  for (int way = 0; way < kWorkers; way++) {
    if (pthread_create(&workers[way], NULL, take_share_then_meet, (void *)(intptr_t)way) != 0) {
      fprintf(stderr, "cover_semaphore_barrier_join: cannot create worker %d\n", way);
      return 1;
    }
  }
  for (int i = 0; i < kWorkers * kItemsPerWorker; i++) sem_post(&items);
  meet_at_barrier();
  long total = 0;
  for (int way = 0; way < kWorkers; way++) {
    void *taken = NULL;
    if (join_worker(workers[way], way, &taken) != 0) {
      fprintf(stderr, "cover_semaphore_barrier_join: cannot join worker %d\n", way);
      return 1;
    }
    total += (intptr_t)taken;
  }
  pthread_barrier_destroy(&finished);
  sem_destroy(&items);
  printf("cover_semaphore_barrier_join: %ld items taken, %d serial thread at the barrier\n", total, serial_threads);
  return 0;
}

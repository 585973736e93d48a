// dining_philosophers: five philosophers, five forks, each takes its left fork then its right.
// Philosopher i holds fork i while taking fork (i+1)%5, so the forks form one 5-lock cycle; the
// philosophers eat one after another, so this run never deadlocks. lockwatch must report exactly
// one lock_order_inversion whose cycle has 5 edges. Natively: prints, exits 0.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PHILOSOPHERS 5

static pthread_mutex_t forks[PHILOSOPHERS];
static int meals_eaten;  // touched only while holding two forks

void *take_left_then_right_fork(void *seat_as_pointer) {
  int seat = (int)(intptr_t)seat_as_pointer;
  pthread_mutex_t *left = &forks[seat];
  pthread_mutex_t *right = &forks[(seat + 1) % PHILOSOPHERS];
  pthread_mutex_lock(left);
  pthread_mutex_lock(right);
  meals_eaten++;
  pthread_mutex_unlock(right);
  pthread_mutex_unlock(left);
  return NULL;
}

int main(void) {
  for (int i = 0; i < PHILOSOPHERS; i++) pthread_mutex_init(&forks[i], NULL);
  // One philosopher at a time: the cycle exists in the lock order, never in this run.
  for (int seat = 0; seat < PHILOSOPHERS; seat++) {
    pthread_t philosopher;
    void *seat_as_pointer = (void *)(intptr_t)seat;
    if (pthread_create(&philosopher, NULL, take_left_then_right_fork, seat_as_pointer) != 0 ||
        pthread_join(philosopher, NULL) != 0) {
      fprintf(stderr, "dining_philosophers: cannot run philosopher %d\n", seat);
      return 1;
    }
  }
  for (int i = 0; i < PHILOSOPHERS; i++) pthread_mutex_destroy(&forks[i]);
  printf("dining_philosophers: %d meals eaten\n", meals_eaten);
  return 0;
}

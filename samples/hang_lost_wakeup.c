// hang_lost_wakeup: two workers wait for work on semaphores that nothing will ever post (the
// poster exited early after a failed start-up), and main joins them: every thread is blocked
// in a synchronization call and none can wake another (natively the program hangs). No
// thread holds a lock, so there is no deadlock cycle. Expected: one hang with all three
// threads, and the process ending with exitcode within stall_ms + 2 s.
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static sem_t work_ready[2];

static void* wait_for_work(void* slot) {
  sem_wait(&work_ready[*(int*)slot]);
  return NULL;
}

int main(void) {
  static int slots[2] = {0, 1};
  pthread_t workers[2];
  for (int i = 0; i < 2; ++i) {
    sem_init(&work_ready[i], 0, 0);
    pthread_create(&workers[i], NULL, wait_for_work, &slots[i]);
  }
  for (int i = 0; i < 2; ++i) pthread_join(workers[i], NULL);
  puts("hang_lost_wakeup: not reached");
  return 0;
}

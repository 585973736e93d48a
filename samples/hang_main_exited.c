// hang_main_exited: main starts two workers that wait on semaphores nobody posts, then ends
// with pthread_exit (its thread lingers in /proc as a zombie while the others run). Every live
// thread is blocked: natively the process hangs. Expected: one hang, and the process ending
// with exitcode within stall_ms + 2 s.
#include <pthread.h>
#include <semaphore.h>

static sem_t never_posted;

static void* wait_forever(void* unused) {
  (void)unused;
  sem_wait(&never_posted);
  return NULL;
}

int main(void) {
  sem_init(&never_posted, 0, 0);
  pthread_t workers[2];
  for (int i = 0; i < 2; ++i) pthread_create(&workers[i], NULL, wait_forever, NULL);
  pthread_exit(NULL);
}

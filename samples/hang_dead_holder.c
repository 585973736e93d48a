// hang_dead_holder: a thread returns while it holds a mutex, and main, once it has joined it,
// locks that mutex: it waits forever (natively this hangs). lockwatch must report the
// misuse:exit_holding when the thread ends, then a hang whose thread dump shows main waiting and
// the ended thread still holding the mutex (kept as a record of it), and end the process.
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;

void *register_and_forget_to_unlock(void *unused) {
  (void)unused;
  pthread_mutex_lock(&registry);
  return NULL;
}

int main(void) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, register_and_forget_to_unlock, NULL) != 0) return 1;
  pthread_join(thread, NULL);
  pthread_mutex_lock(&registry);  // never granted
  printf("hang_dead_holder: unreachable\n");
  return 0;
}

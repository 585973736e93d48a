// Destroys each condvar right after broadcasting to its waiters, which POSIX allows: the woken
// waiters are no longer blocked on it. Correct program: lockwatch must report no destroy_busy.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
struct obj { pthread_mutex_t m; pthread_cond_t c; int done; int waiting; };
static void *waiter(void *arg) {
  struct obj *o = arg;
  pthread_mutex_lock(&o->m);
  o->waiting++;
  while (!o->done) pthread_cond_wait(&o->c, &o->m);
  pthread_mutex_unlock(&o->m);
  return NULL;
}
int main(void) {
  for (int it = 0; it < 200; ++it) {
    struct obj *o = calloc(1, sizeof *o);
    pthread_mutex_init(&o->m, NULL);
    pthread_cond_init(&o->c, NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; ++i) pthread_create(&t[i], NULL, waiter, o);
    for (;;) { pthread_mutex_lock(&o->m); int w = o->waiting; pthread_mutex_unlock(&o->m); if (w == 4) break; sched_yield(); }
    pthread_mutex_lock(&o->m);
    o->done = 1;
    pthread_cond_broadcast(&o->c);
    pthread_mutex_unlock(&o->m);
    pthread_cond_destroy(&o->c);   /* legal: nobody is blocked on it any more */
    for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);
    pthread_mutex_destroy(&o->m);
    free(o);
  }
  puts("ok");
  return 0;
}

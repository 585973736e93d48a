// Objects with a mutex or rwlock at offset 0 are freed without destroy (harmless when
// unlocked), then malloc hands the same memory back and the new lock is initialised: the
// allocator's bytes make the fresh memory look locked. Correct program: no reinit_live.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct object { pthread_mutex_t mutex; int value; };
struct shared_object { pthread_rwlock_t rwlock; int value; };

int main(void) {
  int sum = 0;
  for (int i = 0; i < 3; ++i) {
    struct object* o = malloc(sizeof *o);
    pthread_mutex_init(&o->mutex, NULL);
    pthread_mutex_lock(&o->mutex);
    o->value = i;
    sum += o->value;
    pthread_mutex_unlock(&o->mutex);
    free(o);
  }
  for (int i = 0; i < 3; ++i) {
    struct shared_object* o = malloc(sizeof *o);
    pthread_rwlock_init(&o->rwlock, NULL);
    pthread_rwlock_rdlock(&o->rwlock);
    o->value = i;
    sum += o->value;
    pthread_rwlock_unlock(&o->rwlock);
    free(o);
  }
  printf("clean_init_reused_memory: sum %d\n", sum);
  return 0;
}

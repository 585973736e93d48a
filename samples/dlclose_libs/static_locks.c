// A plug-in with two static mutexes, built twice: ORDER 1 locks first then second, ORDER 2
// second then first. clean_dlclose_static_locks loads one, unloads it, loads the other.
#include <pthread.h>

static pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t second = PTHREAD_MUTEX_INITIALIZER;
static int counter;

const void* plugin_first_lock(void) { return &first; }

int plugin_run(void) {
#if ORDER == 1
  pthread_mutex_lock(&first);
  pthread_mutex_lock(&second);
#else
  pthread_mutex_lock(&second);
  pthread_mutex_lock(&first);
#endif
  int value = ++counter;
  pthread_mutex_unlock(&second);
  pthread_mutex_unlock(&first);
  return value;
}

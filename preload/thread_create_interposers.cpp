// Interposers for thread creation (pthread_create, thrd_create): they only start the watchdog
// before the program's first thread. Starting it from a lock call instead would create a thread
// (whose TLS glibc callocs) inside an allocator that locks mutexes inside malloc.
#include <pthread.h>
#include <threads.h>

#include "real_functions.h"
#include "runtime.h"

using namespace lockwatch::preload;

extern "C" {

__attribute__((visibility("default"))) int pthread_create(pthread_t* thread, const pthread_attr_t* attributes,
                                                          void* (*start)(void*), void* argument) {
  Runtime::before_thread_create();
  return real().create(thread, attributes, start, argument);
}

__attribute__((visibility("default"))) int thrd_create(thrd_t* thread, thrd_start_t start, void* argument) {
  Runtime::before_thread_create();
  return real().c11_thrd_create(thread, start, argument);
}

}  // extern "C"

// Each worker thread has two std::mutex locals (never destroyed through a pthread call). The
// first worker locks them one way and ends; glibc gives its cached stack to the second worker,
// whose locals sit at the same addresses and are locked the other way. Different locks: no
// lock_order_inversion. Exits 3 if the second worker did not get the first one's stack.
#include <pthread.h>

#include <cstdio>
#include <mutex>

namespace {

const void* first_local_address[2];

void* worker(void* argument) {
  const long round = reinterpret_cast<long>(argument);
  std::mutex outer;
  std::mutex inner;
  first_local_address[round] = &outer;
  std::mutex& first = round == 0 ? outer : inner;
  std::mutex& second = round == 0 ? inner : outer;
  std::lock_guard<std::mutex> hold_first(first);
  std::lock_guard<std::mutex> hold_second(second);
  return nullptr;
}

}  // namespace

int main() {
  for (long round = 0; round < 2; ++round) {
    pthread_t thread;
    if (pthread_create(&thread, nullptr, worker, reinterpret_cast<void*>(round)) != 0) return 2;
    pthread_join(thread, nullptr);
  }
  if (first_local_address[0] != first_local_address[1]) {
    std::puts("clean_thread_stack_mutex_reused: the second thread got another stack");
    return 3;
  }
  std::puts("clean_thread_stack_mutex_reused: both threads' locals at the same addresses");
  return 0;
}

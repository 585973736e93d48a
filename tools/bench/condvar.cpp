// bench_condvar ITERATIONS: a bounded queue of 64 slots under one std::mutex and two
// std::condition_variables; 2 producers push ITERATIONS items in all and 2 consumers pop them.
// An op is one item through the queue (a push and a pop, each a lock/unlock, some a wait and a
// notify).
#include <condition_variable>
#include <mutex>

#include "bench_harness.h"

namespace {

class BoundedQueue {
 public:
  void push(unsigned long long item) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_full_.wait(lock, [this] { return size_ < kCapacity; });
    slots_[(head_ + size_++) % kCapacity] = item;
    lock.unlock();
    not_empty_.notify_one();
  }

  unsigned long long pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [this] { return size_ > 0; });
    unsigned long long item = slots_[head_];
    head_ = (head_ + 1) % kCapacity;
    --size_;
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

 private:
  static constexpr unsigned kCapacity = 64;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  unsigned long long slots_[kCapacity] = {};
  unsigned head_ = 0, size_ = 0;
};

BoundedQueue queue;
unsigned long long popped_sum[4];

// Threads 0 and 1 produce, 2 and 3 consume; bench_run_threads gives each the same share (up to
// one item), so producers 0/1 and consumers 2/3 get matching counts when ITERATIONS is split in 4.
void produce_or_consume(unsigned thread_index, unsigned long long share) {
  for (unsigned long long i = 0; i < share; ++i) {
    if (thread_index < 2) {
      queue.push(i);
    } else {
      popped_sum[thread_index] += queue.pop();
    }
  }
}

void run(unsigned long long iterations) {
  // Each thread gets a quarter of 2*ITERATIONS: producers push ITERATIONS, consumers pop them.
  bench_run_threads(4, 2 * (iterations - iterations % 2), produce_or_consume);
}

}  // namespace

int main(int argc, char **argv) {
  static const bench_workload workload = {"condvar", 1, run, nullptr, 0, nullptr};
  return bench_main(argc, argv, &workload);
}

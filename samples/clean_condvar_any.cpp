// clean_condvar_any: a bounded producer/consumer queue on std::condition_variable_any waited with
// std::unique_lock<std::mutex>, used correctly; lockwatch must report nothing (the condvar's own
// internal mutex is always taken after the queue's, never before). 2 producers, 2 consumers.
// Fixed output. Exits 0.
#include <condition_variable>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

namespace {
constexpr int kProducers = 2;
constexpr int kConsumers = 2;
constexpr int kItemsPerProducer = 5000;
constexpr std::size_t kCapacity = 16;

std::mutex queue_lock;
std::condition_variable_any not_empty;
std::condition_variable_any not_full;
std::deque<int> queue;            // guarded by queue_lock
int producers_left = kProducers;  // guarded by queue_lock
}  // namespace

void produce(int first) {
  for (int i = 0; i < kItemsPerProducer; ++i) {
    std::unique_lock hold(queue_lock);
    not_full.wait(hold, [] { return queue.size() < kCapacity; });
    queue.push_back(first + i);
    not_empty.notify_one();
  }
  std::unique_lock hold(queue_lock);
  if (--producers_left == 0) not_empty.notify_all();
}

void consume(long& sum) {
  std::unique_lock hold(queue_lock);
  for (;;) {
    not_empty.wait(hold, [] { return !queue.empty() || producers_left == 0; });
    if (queue.empty()) return;
    sum += queue.front();
    queue.pop_front();
    not_full.notify_one();
  }
}

int main() {
  std::vector<long> sums(kConsumers, 0);
  std::vector<std::thread> threads;
  for (int c = 0; c < kConsumers; ++c) threads.emplace_back(consume, std::ref(sums[c]));
  for (int p = 0; p < kProducers; ++p) threads.emplace_back(produce, p * kItemsPerProducer);
  for (std::thread& thread : threads) thread.join();
  long total = 0;
  for (long sum : sums) total += sum;
  std::cout << "clean_condvar_any: " << kProducers * kItemsPerProducer << " items, sum " << total << '\n';
  return 0;
}

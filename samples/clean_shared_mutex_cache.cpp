// clean_shared_mutex_cache: a reader-heavy cache on std::shared_mutex, used correctly; lockwatch
// must report nothing. 4 threads look up keys under a shared lock; on a miss, they take the
// exclusive lock, look again, and insert. Each key is computed exactly once whatever the
// interleaving, so the output is fixed. Exits 0.
#include <iostream>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace {
constexpr int kThreads = 4;
constexpr int kKeys = 64;
constexpr int kLookupsPerThread = 20000;

std::shared_mutex cache_lock;
std::map<int, long> cache;  // guarded by cache_lock
int computations = 0;       // guarded by cache_lock (exclusive)

long expensive_square(int key) {
  return static_cast<long>(key) * key;
}
}  // namespace

long lookup(int key) {
  {
    std::shared_lock reading(cache_lock);
    auto found = cache.find(key);
    if (found != cache.end()) return found->second;
  }
  std::unique_lock writing(cache_lock);
  auto [entry, inserted] = cache.try_emplace(key, 0);
  if (inserted) {
    entry->second = expensive_square(key);
    ++computations;
  }
  return entry->second;
}

void look_up_keys(int thread_index, long& sum) {
  for (int i = 0; i < kLookupsPerThread; ++i) sum += lookup((i * 7 + thread_index) % kKeys);
}

int main() {
  std::vector<long> sums(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(look_up_keys, t, std::ref(sums[t]));
  for (std::thread& thread : threads) thread.join();
  long total = 0;
  for (long sum : sums) total += sum;
  std::cout << "clean_shared_mutex_cache: " << kThreads * kLookupsPerThread << " lookups, " << computations
            << " computations, sum " << total << '\n';
  return 0;
}

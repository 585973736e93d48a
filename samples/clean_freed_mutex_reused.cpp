// Heap objects holding a std::mutex are freed with delete (no destroy call ever happens for
// a std::mutex), and the allocator hands their memory to new objects whose mutexes are then
// locked in the opposite order. The old and the new mutexes are different locks: no
// lock_order_inversion. Exits 3 if the allocator did not reuse the memory (nothing was tested).
#include <cstdio>
#include <mutex>

namespace {

struct Account {
  std::mutex mutex;
  long balance = 0;
};

void transfer(Account& from, Account& to, long amount) {
  std::lock_guard<std::mutex> first(from.mutex);
  std::lock_guard<std::mutex> second(to.mutex);
  from.balance -= amount;
  to.balance += amount;
}

}  // namespace

int main() {
  auto* savings = new Account;
  auto* checking = new Account;
  const void* first_address = savings;
  const void* second_address = checking;
  transfer(*savings, *checking, 10);  // savings -> checking
  delete checking;
  delete savings;

  // Same size, freed last first: the allocator returns the same blocks.
  auto* reused_a = new Account;
  auto* reused_b = new Account;
  Account* at_first = reused_a == first_address ? reused_a : reused_b;
  Account* at_second = at_first == reused_a ? reused_b : reused_a;
  if (at_first != first_address || at_second != second_address) {
    std::puts("clean_freed_mutex_reused: the allocator did not reuse the memory");
    return 3;
  }
  transfer(*at_second, *at_first, 5);  // the opposite order, through new mutexes
  std::printf("clean_freed_mutex_reused: balances %ld %ld\n", at_first->balance, at_second->balance);
  delete reused_a;
  delete reused_b;
  return 0;
}

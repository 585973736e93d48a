// ordered_cpp: correct nested locking with std::mutex; lockwatch must report nothing.
// Tellers move money between 16 accounts, locking the lower-numbered account first (lock_guard,
// then unique_lock, sometimes try_lock first), while auditors lock all accounts in increasing
// order and check the total. One global order, so no cycle. Output is deterministic. Exits 0.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace {
constexpr int kAccounts = 16;
constexpr int kTellers = 6;
constexpr int kAuditors = 2;
constexpr int kTransfersPerTeller = 5000;
constexpr int kAuditsPerAuditor = 200;
constexpr long kOpeningBalance = 1000;

struct Account {
  std::mutex mutex;
  long balance = kOpeningBalance;  // guarded by mutex
};
std::array<Account, kAccounts> accounts;
}  // namespace

void transfer_in_account_order(int from, int to, long amount, bool by_try_lock) {
  auto [first, second] = std::minmax(from, to);
  std::lock_guard hold_first(accounts[first].mutex);
  std::unique_lock hold_second(accounts[second].mutex, std::defer_lock);
  if (!by_try_lock || !hold_second.try_lock()) hold_second.lock();
  accounts[from].balance -= amount;
  accounts[to].balance += amount;
}

long audit_all_accounts_in_order() {
  std::vector<std::unique_lock<std::mutex>> held;
  held.reserve(kAccounts);
  long total = 0;
  for (Account& account : accounts) {
    held.emplace_back(account.mutex);
    total += account.balance;
  }
  return total;  // the locks are released in reverse order as `held` is destroyed
}

void teller(unsigned seed) {
  std::minstd_rand random(seed);
  std::uniform_int_distribution<int> pick_account(0, kAccounts - 1);
  std::uniform_int_distribution<long> pick_amount(1, 50);
  for (int i = 0; i < kTransfersPerTeller; ++i) {
    int from = pick_account(random);
    int to = pick_account(random);
    if (from == to) to = (to + 1) % kAccounts;
    transfer_in_account_order(from, to, pick_amount(random), i % 3 == 0);
  }
}

void auditor() {
  for (int i = 0; i < kAuditsPerAuditor; ++i) {
    if (audit_all_accounts_in_order() != kAccounts * kOpeningBalance) {
      std::cerr << "ordered_cpp: audit found money created or lost\n";
      std::exit(1);
    }
  }
}

int main() {
  std::vector<std::thread> threads;
  for (int t = 0; t < kTellers; ++t) threads.emplace_back(teller, 1u + static_cast<unsigned>(t));
  for (int a = 0; a < kAuditors; ++a) threads.emplace_back(auditor);
  for (std::thread& thread : threads) thread.join();
  std::cout << "ordered_cpp: " << kTellers * kTransfersPerTeller << " transfers, " << kAuditors * kAuditsPerAuditor
            << " audits, total " << audit_all_accounts_in_order() << '\n';
  return 0;
}

// LockRegistry: addresses map to stable ids; a destroyed-and-reused address is a new lock.
#include "lock_registry.h"

#include <doctest/doctest.h>

#include <vector>

using namespace lockwatch;

TEST_CASE("a lock keeps its id until removed; reuse of the address gets a new generation") {
  LockRegistry registry;
  CHECK_FALSE(registry.find(0x1000).valid());
  const LockId first = registry.find_or_insert(0x1000, LockKind::mutex, 5, 1);
  REQUIRE(first.valid());
  CHECK(registry.find(0x1000) == first);
  CHECK(registry.find_or_insert(0x1000, LockKind::mutex, 9, 2) == first);
  LockInfo info{};
  REQUIRE(registry.info(first, info));
  CHECK(info.first_use == 5);
  CHECK(info.address == 0x1000);
  CHECK(registry.live() == 1);

  CHECK(registry.remove(0x1000) == first);
  CHECK_FALSE(registry.find(0x1000).valid());
  CHECK_FALSE(registry.info(first, info));
  const LockId second = registry.find_or_insert(0x1000, LockKind::mutex, 6, 1);
  CHECK(second.valid());
  CHECK_FALSE(second == first);
  CHECK(registry.live() == 1);
}

TEST_CASE("many locks, colliding and removed, stay findable") {
  LockRegistry registry;
  for (uintptr_t a = 1; a <= 20000; ++a) REQUIRE(registry.find_or_insert(a * 64, LockKind::mutex, 0, 1).valid());
  for (uintptr_t a = 1; a <= 20000; a += 2) registry.remove(a * 64);
  for (uintptr_t a = 1; a <= 20000; ++a) CHECK(registry.find(a * 64).valid() == (a % 2 == 0));
  CHECK(registry.live() == 10000);
}

TEST_CASE("freed memory: the filter clears memory with no lock; remove_range forgets exactly the locks inside") {
  LockRegistry registry;
  const uintptr_t base = 0x7f0000100000;
  // Locks at 8-byte and 4-byte alignment, and one just past the range.
  for (uintptr_t offset : {uintptr_t{0}, uintptr_t{40}, uintptr_t{100}, uintptr_t{4096}}) {
    REQUIRE(registry.find_or_insert(base + offset, LockKind::mutex, 0, 1).valid());
  }
  CHECK(registry.may_hold_locks(base, base + 8));
  CHECK(registry.may_hold_locks(base + 4090, base + 4100));
  CHECK_FALSE(registry.may_hold_locks(base + 1024, base + 2048));  // granules hash apart (checked)

  std::vector<uintptr_t> removed;
  registry.remove_range(base + 4, base + 4096, [&](LockId id) { removed.push_back(id.index()); });
  CHECK(removed.size() == 2);  // 40 and 100; not 0 (before the range) nor 4096 (its end)
  CHECK(registry.find(base).valid());
  CHECK_FALSE(registry.find(base + 40).valid());
  CHECK_FALSE(registry.find(base + 100).valid());
  CHECK(registry.find(base + 4096).valid());
  CHECK(registry.live() == 2);

  // A range larger than the table is scanned slot by slot, with the same result.
  registry.remove_range(base - (uintptr_t{1} << 40), base + (uintptr_t{1} << 40), [&](LockId) {});
  CHECK(registry.live() == 0);
  CHECK_FALSE(registry.may_hold_locks(base, base + 8192));
}

// LockRegistry: addresses map to stable ids; a destroyed-and-reused address is a new lock.
#include "lock_registry.h"

#include <doctest/doctest.h>

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

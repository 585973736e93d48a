// StackDepot: each distinct stack is stored once; ids are stable and resolvable concurrently.
#include "stack_depot.h"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

using namespace lockwatch;

TEST_CASE("equal stacks share an id, different stacks do not") {
  StackDepot depot;
  const uintptr_t a[] = {1, 2, 3};
  const uintptr_t b[] = {1, 2, 4};
  const StackId id_a = depot.insert(a);
  CHECK(id_a != kNoStack);
  CHECK(depot.insert(a) == id_a);
  const StackId id_b = depot.insert(b);
  CHECK(id_b != id_a);
  REQUIRE(depot.get(id_a).size() == 3);
  CHECK(depot.get(id_a)[2] == 3);
  CHECK(depot.get(id_b)[2] == 4);
  CHECK(depot.size() == 2);
  CHECK(depot.insert({}) == kNoStack);
  CHECK(depot.get(kNoStack).empty());
}

TEST_CASE("concurrent inserts of overlapping stacks deduplicate") {
  StackDepot depot;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&depot] {
      for (uintptr_t i = 0; i < 2000; ++i) {
        const uintptr_t frames[] = {i, i + 1, 7};
        const StackId id = depot.insert(frames);
        REQUIRE(depot.get(id).size() == 3);
        REQUIRE(depot.get(id)[0] == i);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(depot.size() == 2000);
}

// Suppressions: kind:pattern lines, globs over every frame's function, file and module, and a
// clear error for each malformed line.
#include "report/suppressions.h"

#include <doctest/doctest.h>

using namespace lockwatch;

TEST_CASE("rules parse, and malformed lines are errors naming file and line") {
  std::vector<std::string> errors;
  const Suppressions rules = Suppressions::parse(
      "# comment\n\nlock_order_inversion:*third_party*\nmisuse/relock: lock_twice  # trailing\n"
      "nonsense\nwhatever:pattern\nmisuse:\n",
      "my.supp", errors);
  CHECK(rules.size() == 2);
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].find("my.supp line 5") != std::string::npos);
  CHECK(errors[1].find("line 6") != std::string::npos);
  CHECK(errors[2].find("line 7") != std::string::npos);
}

TEST_CASE("a subkind is a misuse's, and one of its names") {
  std::vector<std::string> errors;
  const Suppressions rules = Suppressions::parse(
      "misuse/unlock_not_owner:*\nmisuse/unlock_not_ownr:*\ndeadlock/relock:*\n*/relock:*\nhang:*\n*:*\n", "s.supp",
      errors);
  CHECK(rules.size() == 3);
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].find("line 2") != std::string::npos);
  CHECK(errors[1].find("line 3") != std::string::npos);
  CHECK(errors[2].find("line 4") != std::string::npos);
}

TEST_CASE("an unreadable file, or a directory, is one error and no rules") {
  std::vector<std::string> errors;
  CHECK(Suppressions::load("/nonexistent/lockwatch.supp", errors).size() == 0);
  CHECK(errors.size() == 1);
  CHECK(Suppressions::load("/tmp", errors).size() == 0);
  REQUIRE(errors.size() == 2);
  CHECK(errors[1].find("it is a directory") != std::string::npos);
}

// Options parsing: SPEC defaults, both separators, and one clear error per bad input.
#include "options.h"

#include <doctest/doctest.h>

using namespace lockwatch;

TEST_CASE("defaults follow SPEC.md") {
  ParsedOptions parsed = parse_options("");
  CHECK(parsed.errors.empty());
  CHECK(parsed.options.exitcode == 66);
  CHECK(parsed.options.stall_ms == 1000);
  CHECK(parsed.options.long_hold_ms == 500);
  CHECK(parsed.options.watchdog_ms == 100);
  CHECK(parsed.options.stack_depth == 32);
  CHECK(parsed.options.on_deadlock == OnDeadlock::exit);
  CHECK(parsed.options.fail_on.contains("lock_order_inversion"));
  CHECK(parsed.options.fail_on.contains("deadlock"));
  CHECK(parsed.options.fail_on.contains("misuse"));
  CHECK_FALSE(parsed.options.fail_on.contains("stall"));
  CHECK(parsed.options.log_path.empty());
}

TEST_CASE("pairs separated by colons and spaces") {
  ParsedOptions parsed = parse_options("exitcode=3:log_path=/tmp/x  quiet=1\tstall_ms=20:on_deadlock=continue");
  CHECK(parsed.errors.empty());
  CHECK(parsed.options.exitcode == 3);
  CHECK(parsed.options.log_path == "/tmp/x");
  CHECK(parsed.options.quiet);
  CHECK(parsed.options.stall_ms == 20);
  CHECK(parsed.options.on_deadlock == OnDeadlock::continue_running);
}

TEST_CASE("fail_on takes a comma list or none") {
  CHECK(parse_options("fail_on=stall,hang").options.fail_on.contains("hang"));
  CHECK_FALSE(parse_options("fail_on=stall,hang").options.fail_on.contains("deadlock"));
  CHECK_FALSE(parse_options("fail_on=none").options.fail_on.contains("deadlock"));
}

TEST_CASE("bad values keep the default and say so in one line") {
  ParsedOptions parsed = parse_options("exitcode=banana:stall_ms=-5:fail_on=deadlock,bogus:nokey:colour=red");
  CHECK(parsed.options.exitcode == 66);
  CHECK(parsed.options.stall_ms == 1000);
  CHECK(parsed.options.fail_on.contains("lock_order_inversion"));
  REQUIRE(parsed.errors.size() == 5);
  CHECK(parsed.errors[0] == "bad value 'banana' for exitcode in LOCKWATCH_OPTIONS; using 66");
  CHECK(parsed.errors[1].find("using 1000") != std::string::npos);
  CHECK(parsed.errors[2].find("fail_on") != std::string::npos);
  CHECK(parsed.errors[3].find("not key=value") != std::string::npos);
  CHECK(parsed.errors[4].find("unknown option 'colour'") != std::string::npos);
  for (const std::string& error : parsed.errors) CHECK(error.find('\n') == std::string::npos);
}

TEST_CASE("out-of-range numbers are errors") {
  CHECK_FALSE(parse_options("exitcode=256").errors.empty());
  CHECK_FALSE(parse_options("stack_depth=0").errors.empty());
  CHECK(parse_options("exitcode=0").options.exitcode == 0);
}

TEST_CASE("a bad value leaves its option at the default the error line names, even after a good one") {
  const ParsedOptions parsed =
      parse_options("exitcode=7:exitcode=abc:quiet=1:quiet=maybe:on_deadlock=abort:on_deadlock=x");
  CHECK(parsed.options.exitcode == 66);
  CHECK_FALSE(parsed.options.quiet);
  CHECK(parsed.options.on_deadlock == OnDeadlock::exit);
  REQUIRE(parsed.errors.size() == 3);
  CHECK(parsed.errors[0] == "bad value 'abc' for exitcode in LOCKWATCH_OPTIONS; using 66");
  CHECK(parsed.errors[1] == "bad value 'maybe' for quiet in LOCKWATCH_OPTIONS; using 0");
  const ParsedOptions lone = parse_options("exitcode:stall_ms=5");
  REQUIRE(lone.errors.size() == 1);
  CHECK(lone.errors[0] == "'exitcode' is not key=value in LOCKWATCH_OPTIONS; using the defaults");
  CHECK(lone.options.stall_ms == 5);
}

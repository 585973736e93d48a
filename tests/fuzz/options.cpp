// Fuzz target: LOCKWATCH_OPTIONS parsing (detector/options). Any bytes parse without throwing
// into options within their documented ranges, each error one line; and the options in force,
// written back as a LOCKWATCH_OPTIONS string, parse to themselves without error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lockwatch::OnDeadlock;
  const lockwatch::ParsedOptions parsed = lockwatch::parse_options({reinterpret_cast<const char*>(data), size});
  const lockwatch::Options& options = parsed.options;
  FUZZ_CHECK(options.exitcode >= 0 && options.exitcode <= 255);
  FUZZ_CHECK(options.stall_ms >= 1 && options.stall_ms <= 86'400'000);
  FUZZ_CHECK(options.long_hold_ms >= 1 && options.long_hold_ms <= 86'400'000);
  FUZZ_CHECK(options.watchdog_ms >= 1 && options.watchdog_ms <= 60'000);
  FUZZ_CHECK(options.stack_depth >= 1 && options.stack_depth <= 256);
  FUZZ_CHECK(options.on_deadlock == OnDeadlock::exit || options.on_deadlock == OnDeadlock::abort ||
             options.on_deadlock == OnDeadlock::continue_running);
  for (const std::string& error : parsed.errors) {
    FUZZ_CHECK(!error.empty() && error.find('\n') == std::string::npos);
    FUZZ_CHECK(error.find("LOCKWATCH_OPTIONS") != std::string::npos);
  }

  std::string written;
  for (const auto& [key, value] : options.describe()) {
    if (!value.empty()) written += key + "=" + value + ":";
  }
  const lockwatch::ParsedOptions again = lockwatch::parse_options(written);
  FUZZ_CHECK(again.errors.empty());
  FUZZ_CHECK(again.options.describe() == options.describe());
  return 0;
}

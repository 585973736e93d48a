// spdlog logger for lockwatch's own messages; see diagnostics.h.
#include "report/diagnostics.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <memory>

namespace lockwatch {
namespace {

spdlog::logger& logger() {
  // Not registered in spdlog's global registry: a host using spdlog keeps its own.
  static spdlog::logger instance = [] {
    spdlog::logger made("lockwatch", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    made.set_pattern("%n: %l: %v");
    return made;
  }();
  return instance;
}

}  // namespace

void diagnostic_error(std::string_view message) {
  logger().error("{}", message);
}
void diagnostic_warning(std::string_view message) {
  logger().warn("{}", message);
}

}  // namespace lockwatch

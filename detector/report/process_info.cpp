// /proc/self readers for ProcessInfo; see process_info.h.
#include "report/process_info.h"

#include <fmt/format.h>
#include <unistd.h>

#include <climits>
#include <ctime>
#include <fstream>
#include <iterator>

namespace lockwatch {

ProcessInfo ProcessInfo::current() {
  ProcessInfo info;
  info.pid = getpid();
  info.ppid = getppid();
  char path[PATH_MAX];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  if (length > 0) info.exe.assign(path, static_cast<size_t>(length));
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  for (size_t start = 0; start < all.size();) {
    const size_t end = all.find('\0', start);
    info.argv.push_back(all.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return info;
}

std::string utc_timestamp() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm parts{};
  gmtime_r(&now.tv_sec, &parts);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", parts.tm_year + 1900, parts.tm_mon + 1,
                     parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, now.tv_nsec / 1'000'000);
}

}  // namespace lockwatch

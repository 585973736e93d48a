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

// By arithmetic (days to civil date, Howard Hinnant's algorithm): gmtime_r takes glibc's
// tzset lock, which a thread of the parent may have held at fork().
std::string utc_timestamp() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const int64_t seconds = now.tv_sec;
  const int64_t days = seconds / 86400 - (seconds % 86400 < 0 ? 1 : 0);
  const int64_t of_day = seconds - days * 86400;
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t day_of_era = z - era * 146097;
  const int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t shifted_month = (5 * day_of_year + 2) / 153;
  const int64_t day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const int64_t month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", year, month, day, of_day / 3600, of_day % 3600 / 60,
                     of_day % 60, now.tv_nsec / 1'000'000);
}

}  // namespace lockwatch

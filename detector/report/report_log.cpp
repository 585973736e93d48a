// Safe creation and atomic line writes for the JSON Lines file; see report_log.h.
#include "report/report_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "report/diagnostics.h"

namespace lockwatch {

ReportLog::~ReportLog() {
  if (fd_ >= 0) close(fd_);
}

bool ReportLog::open(const std::string& log_path) {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  const pid_t pid = getpid();
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC;
  int error = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    path_ = attempt == 0 ? fmt::format("{}.{}.jsonl", log_path, pid)
                         : fmt::format("{}.{}.{}.jsonl", log_path, pid, attempt);
    fd_ = ::open(path_.c_str(), kFlags, 0644);
    if (fd_ >= 0) return true;
    error = errno;
    if (error != EEXIST && error != ELOOP) break;
  }
  diagnostic_error(fmt::format("cannot create report file {}: {}; reporting to stderr only", path_, strerror(error)));
  return false;
}

void ReportLog::write_line(const std::string& record) {
  if (fd_ < 0) return;
  std::string line = record + '\n';
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t written = ::write(fd_, data, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    data += written;
    left -= static_cast<size_t>(written);
  }
}

}  // namespace lockwatch

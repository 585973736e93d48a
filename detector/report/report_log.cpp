// Safe creation and atomic line writes for the JSON Lines file; see report_log.h.
#include "report/report_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "report/diagnostics.h"

namespace lockwatch {

ReportLog::~ReportLog() {
  if (fd_ >= 0) close(fd_);
}

namespace {

// Why an existing `path` is in the way, or "" when it is a report lockwatch wrote: an earlier
// image of this pid (a process that exec()ed keeps its pid) or a run whose pid was the same.
// Only what is not a report of ours is worth a word on stderr.
std::string foreign_file(const std::string& path) {
  struct stat status {};
  if (lstat(path.c_str(), &status) != 0) return "";
  if (S_ISLNK(status.st_mode)) return "is a symbolic link";
  if (!S_ISREG(status.st_mode)) return "exists and is not a regular file";
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return "exists and cannot be read";
  std::string head(size_t{64} << 10, '\0');
  const ssize_t length = ::read(fd, head.data(), head.size());
  close(fd);
  head.resize(length > 0 ? static_cast<size_t>(length) : 0);
  const std::string first_line = head.substr(0, head.find('\n'));
  const bool ours = first_line.starts_with('{') && first_line.find(R"("type":"start")") != std::string::npos;
  return ours ? "" : "exists and is not a lockwatch report";
}

}  // namespace

bool ReportLog::open(const std::string& log_path) {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  const pid_t pid = getpid();
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC;
  int error = 0;
  std::string first_path;
  std::string in_the_way;
  for (int attempt = 0; attempt < 100; ++attempt) {
    path_ = attempt == 0 ? fmt::format("{}.{}.jsonl", log_path, pid)
                         : fmt::format("{}.{}.{}.jsonl", log_path, pid, attempt);
    fd_ = ::open(path_.c_str(), kFlags, 0644);
    if (fd_ >= 0) {
      if (!in_the_way.empty()) {
        diagnostic_error(
            fmt::format("report file {} {}; left as it is, reporting to {}", first_path, in_the_way, path_));
      }
      return true;
    }
    error = errno;
    if (error != EEXIST && error != ELOOP) break;
    if (attempt == 0) {
      first_path = path_;
      in_the_way = foreign_file(path_);
    }
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

// ReportLog: the JSON Lines file `<log_path>.<pid>.jsonl`.
// Each record is one write(2) of a whole line on an O_APPEND descriptor, so records are
// durable the moment they are made (a SIGKILL loses nothing written) and several writers
// never interleave within a line. The file is created with O_EXCL|O_NOFOLLOW: an existing
// file or a planted symlink is never followed or clobbered; the name then gets a ".N" suffix
// instead, silently when the file in the way is a lockwatch report (an exec()ed image of the
// same pid writes the next one), with one line on stderr when it is anything else.
#pragma once

#include <sys/types.h>

#include <string>

namespace lockwatch {

class ReportLog {
 public:
  ReportLog() = default;
  ~ReportLog();
  ReportLog(const ReportLog&) = delete;
  ReportLog& operator=(const ReportLog&) = delete;

  // Opens the file for the calling process. False (with a diagnostic) when it cannot be
  // created; the log then stays closed and writes are dropped.
  bool open(const std::string& log_path);
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  void write_line(const std::string& record);

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace lockwatch

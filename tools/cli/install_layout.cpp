// Locating the library and the samples next to the CLI; see install_layout.h.
#include "install_layout.h"

#include <limits.h>
#include <unistd.h>

#include <string>

namespace lockwatch::cli {

namespace fs = std::filesystem;

fs::path binary_directory() {
  char self[PATH_MAX];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0) return {};
  return fs::path(std::string(self, static_cast<size_t>(length))).parent_path();
}

fs::path find_library() {
  const fs::path bin_dir = binary_directory();
  if (bin_dir.empty()) return {};
  for (const fs::path& candidate : {bin_dir / ".." / "lib" / "liblockwatch.so", bin_dir / "liblockwatch.so"}) {
    std::error_code error;
    if (fs::exists(candidate, error)) return fs::canonical(candidate, error);
  }
  return {};
}

fs::path samples_directory() {
  const fs::path bin_dir = binary_directory();
  return bin_dir.empty() ? fs::path() : (bin_dir / ".." / "samples").lexically_normal();
}

}  // namespace lockwatch::cli

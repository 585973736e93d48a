// ELF program headers, file mode and capabilities of a command; see preload_blockers.h.
#include "preload_blockers.h"

#include <elf.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace lockwatch::cli {
namespace {

// The file execvp would run for `command`.
std::string resolve(const std::string& command) {
  if (command.find('/') != std::string::npos) return command;
  const char* path = getenv("PATH");
  std::stringstream directories(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string directory; std::getline(directories, directory, ':');) {
    const std::string candidate = (directory.empty() ? std::string(".") : directory) + "/" + command;
    struct stat status {};
    if (stat(candidate.c_str(), &status) == 0 && S_ISREG(status.st_mode) && access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

enum class Linking { unknown, dynamic, static_ };

// Whether the ELF file has a PT_INTERP program header (the dynamic loader). Native byte order,
// 32 or 64 bits; anything else is unknown.
template <typename Header, typename ProgramHeader>
Linking elf_linking(const std::string& data) {
  if (data.size() < sizeof(Header)) return Linking::unknown;
  Header header;
  std::memcpy(&header, data.data(), sizeof header);
  if (header.e_phentsize != sizeof(ProgramHeader)) return Linking::unknown;
  for (size_t i = 0; i < header.e_phnum; ++i) {
    const size_t offset = header.e_phoff + i * sizeof(ProgramHeader);
    if (offset + sizeof(ProgramHeader) > data.size()) return Linking::unknown;
    ProgramHeader program;
    std::memcpy(&program, data.data() + offset, sizeof program);
    if (program.p_type == PT_INTERP) return Linking::dynamic;
  }
  return Linking::static_;
}

Linking linking_of(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::string data(size_t{64} << 10, '\0');  // program headers sit right after the ELF header
  file.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(file.gcount()));
  if (data.size() < EI_NIDENT || std::memcmp(data.data(), ELFMAG, SELFMAG) != 0) return Linking::unknown;
  const bool native_order = data[EI_DATA] == (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB);
  if (!native_order) return Linking::unknown;
  if (data[EI_CLASS] == ELFCLASS64) return elf_linking<Elf64_Ehdr, Elf64_Phdr>(data);
  if (data[EI_CLASS] == ELFCLASS32) return elf_linking<Elf32_Ehdr, Elf32_Phdr>(data);
  return Linking::unknown;
}

// The interpreter of a `#!` script, or "".
std::string script_interpreter(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::string line;
  if (!std::getline(file, line) || line.rfind("#!", 0) != 0) return "";
  std::stringstream words(line.substr(2));
  std::string interpreter;
  words >> interpreter;
  return interpreter;
}

std::string user_name(uid_t uid) {
  const passwd* entry = getpwuid(uid);
  return entry != nullptr ? entry->pw_name : "uid " + std::to_string(uid);
}

std::string group_name(gid_t gid) {
  const group* entry = getgrgid(gid);
  return entry != nullptr ? entry->gr_name : "gid " + std::to_string(gid);
}

// Secure execution (AT_SECURE), from the file: the kernel sets it when exec changes the
// effective user or group away from the real one, or raises capabilities. A set-user-ID bit
// naming the caller's own real user changes nothing (root running a set-user-ID-root program
// is not secure), and a nosuid mount ignores the bits altogether.
std::string secure_execution(const std::string& path) {
  struct stat status {};
  if (stat(path.c_str(), &status) != 0) return "";
  struct statvfs mount {};
  if (statvfs(path.c_str(), &mount) == 0 && (mount.f_flag & ST_NOSUID) != 0) return "";
  const char* why = "it runs in secure-execution mode, where the dynamic loader ignores LD_PRELOAD";
  if ((status.st_mode & S_ISUID) != 0 && status.st_uid != getuid()) {
    return "is set-user-ID " + user_name(status.st_uid) + ": " + why;
  }
  if ((status.st_mode & S_ISGID) != 0 && (status.st_mode & S_IXGRP) != 0 && status.st_gid != getgid()) {
    return "is set-group-ID " + group_name(status.st_gid) + ": " + why;
  }
  if (getxattr(path.c_str(), "security.capability", nullptr, 0) > 0)
    return std::string("has file capabilities: ") + why;
  return "";
}

std::string blocker_of(const std::string& path, int depth) {
  if (path.empty() || access(path.c_str(), X_OK) != 0) return "";
  if (std::string secure = secure_execution(path); !secure.empty()) return secure;
  if (linking_of(path) == Linking::static_) {
    return "is statically linked (it has no program interpreter): no dynamic loader reads LD_PRELOAD for it";
  }
  // A script runs its interpreter: that is what the loader sees.
  const std::string interpreter = depth == 0 ? script_interpreter(path) : "";
  if (!interpreter.empty()) {
    if (std::string blocked = blocker_of(interpreter, depth + 1); !blocked.empty()) {
      return "runs the interpreter '" + interpreter + "', which " + blocked;
    }
  }
  return "";
}

}  // namespace

std::string preload_blocker(const std::string& command) {
  return blocker_of(resolve(command), 0);
}

}  // namespace lockwatch::cli

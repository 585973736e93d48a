// dladdr1 + dlopen'd libdw symbolization; see symbolizer.h.
#include "report/symbolizer.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elfutils/libdwfl.h>
#include <link.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace lockwatch {

// The libdw entry points used, resolved from the dlopen'd library.
struct Symbolizer::Dwarf {
  void* handle = nullptr;
  Dwfl* session = nullptr;
  Dwfl_Callbacks callbacks{};
  char* debuginfo_path = nullptr;
  decltype(&dwfl_begin) begin = nullptr;
  decltype(&dwfl_end) end = nullptr;
  decltype(&dwfl_report_begin) report_begin = nullptr;
  decltype(&dwfl_linux_proc_report) proc_report = nullptr;
  decltype(&dwfl_report_end) report_end = nullptr;
  decltype(&dwfl_addrmodule) addrmodule = nullptr;
  decltype(&dwfl_module_addrname) addrname = nullptr;
  decltype(&dwfl_module_getsrc) getsrc = nullptr;
  decltype(&dwfl_lineinfo) lineinfo = nullptr;

  template <typename F>
  bool resolve(F& function, const char* name) {
    function = reinterpret_cast<F>(dlsym(handle, name));
    return function != nullptr;
  }

  bool open() {
    handle = dlopen("libdw.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (handle == nullptr) return false;
    if (!resolve(begin, "dwfl_begin") || !resolve(end, "dwfl_end") || !resolve(report_begin, "dwfl_report_begin") ||
        !resolve(proc_report, "dwfl_linux_proc_report") || !resolve(report_end, "dwfl_report_end") ||
        !resolve(addrmodule, "dwfl_addrmodule") || !resolve(addrname, "dwfl_module_addrname") ||
        !resolve(getsrc, "dwfl_module_getsrc") || !resolve(lineinfo, "dwfl_lineinfo") ||
        !resolve(callbacks.find_elf, "dwfl_linux_proc_find_elf") ||
        !resolve(callbacks.find_debuginfo, "dwfl_standard_find_debuginfo")) {
      return false;
    }
    callbacks.debuginfo_path = &debuginfo_path;
    session = begin(&callbacks);
    return session != nullptr && refresh();
  }

  // Re-reads the process's module list (libraries may have been dlopen'ed since).
  bool refresh() {
    report_begin(session);
    const bool ok = proc_report(session, getpid()) == 0;
    return report_end(session, nullptr, nullptr) == 0 && ok;
  }

  Dwfl_Module* module_for(uintptr_t address) {
    Dwfl_Module* module = addrmodule(session, address);
    if (module == nullptr && refresh()) module = addrmodule(session, address);
    return module;
  }
};

std::string demangle(const char* name) {
  if (name == nullptr) return {};
  int status = 0;
  char* demangled = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || demangled == nullptr) return name;
  std::string result(demangled);
  free(demangled);
  return result;
}

namespace {

std::string executable_path() {
  char path[PATH_MAX];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  return length > 0 ? std::string(path, static_cast<size_t>(length)) : std::string("<main>");
}

}  // namespace

Symbolizer::Symbolizer() = default;

Symbolizer::~Symbolizer() {
  if (dwarf_ != nullptr && dwarf_->session != nullptr) dwarf_->end(dwarf_->session);
  delete dwarf_;
}

SymbolizedFrame Symbolizer::symbolize(uintptr_t return_address) {
  SpinLockGuard guard(lock_);
  auto cached = cache_.find(return_address);
  if (cached != cache_.end()) return cached->second;
  SymbolizedFrame frame = lookup(return_address);
  cache_.emplace(return_address, frame);
  return frame;
}

SymbolizedFrame Symbolizer::lookup(uintptr_t return_address) {
  SymbolizedFrame frame;
  frame.pc = return_address;
  const uintptr_t call_address = return_address > 0 ? return_address - 1 : 0;

  Dl_info info{};
  link_map* module = nullptr;
  if (dladdr1(reinterpret_cast<void*>(call_address), &info, reinterpret_cast<void**>(&module), RTLD_DL_LINKMAP) != 0 &&
      module != nullptr) {
    frame.offset = return_address - module->l_addr;
    frame.module = (module->l_name != nullptr && module->l_name[0] != '\0') ? module->l_name : executable_path();
    if (info.dli_sname != nullptr) frame.function = demangle(info.dli_sname);
  } else {
    frame.offset = return_address;
    frame.module = "<unknown>";
  }

  if (!dwarf_tried_) {
    dwarf_tried_ = true;
    dwarf_ = new Dwarf;
    if (!dwarf_->open()) {
      if (dwarf_->session != nullptr) dwarf_->end(dwarf_->session);
      delete dwarf_;
      dwarf_ = nullptr;
    }
  }
  if (dwarf_ != nullptr) {
    if (Dwfl_Module* dwfl_module = dwarf_->module_for(call_address)) {
      if (const char* name = dwarf_->addrname(dwfl_module, call_address)) frame.function = demangle(name);
      if (Dwfl_Line* line = dwarf_->getsrc(dwfl_module, call_address)) {
        int line_number = 0;
        if (const char* file = dwarf_->lineinfo(line, nullptr, &line_number, nullptr, nullptr, nullptr)) {
          frame.file = file;
          frame.line = line_number;
        }
      }
    }
  }
  return frame;
}

}  // namespace lockwatch

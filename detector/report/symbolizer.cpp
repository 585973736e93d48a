// dladdr1 + dlopen'd libdw symbolization; see symbolizer.h.
#include "report/symbolizer.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdwfl.h>
#include <link.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>

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
  // For the chain of inlined calls at an address.
  decltype(&dwfl_module_addrdie) addrdie = nullptr;
  decltype(&dwarf_getscopes) getscopes = nullptr;
  decltype(&dwarf_getscopes_die) getscopes_die = nullptr;
  decltype(&dwarf_tag) tag = nullptr;
  decltype(&dwarf_attr) attr = nullptr;
  decltype(&dwarf_attr_integrate) attr_integrate = nullptr;
  decltype(&dwarf_formstring) formstring = nullptr;
  decltype(&dwarf_formudata) formudata = nullptr;
  decltype(&dwarf_getsrcfiles) getsrcfiles = nullptr;
  decltype(&dwarf_filesrc) filesrc = nullptr;
  decltype(&dwarf_decl_line) decl_line = nullptr;

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
        !resolve(addrdie, "dwfl_module_addrdie") || !resolve(getscopes, "dwarf_getscopes") ||
        !resolve(getscopes_die, "dwarf_getscopes_die") || !resolve(tag, "dwarf_tag") || !resolve(attr, "dwarf_attr") ||
        !resolve(attr_integrate, "dwarf_attr_integrate") || !resolve(formstring, "dwarf_formstring") ||
        !resolve(formudata, "dwarf_formudata") || !resolve(getsrcfiles, "dwarf_getsrcfiles") ||
        !resolve(filesrc, "dwarf_filesrc") || !resolve(decl_line, "dwarf_decl_line") ||
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

  // A subprogram's or inlined call's name: the demangled linkage name, else the plain name
  // (both possibly through DW_AT_abstract_origin).
  std::string function_name(Dwarf_Die* scope) {
    Dwarf_Attribute storage;
    for (unsigned int name : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name, DW_AT_name}) {
      if (Dwarf_Attribute* found = attr_integrate(scope, name, &storage)) {
        if (const char* text = formstring(found)) return name == DW_AT_name ? std::string(text) : demangle(text);
      }
    }
    return "??";
  }

  // The line where the function of `scope` (a subprogram or an inlined call) begins; 0 when
  // DWARF does not say.
  int function_line(Dwarf_Die* scope) {
    int line = 0;
    return decl_line(scope, &line) == 0 ? line : 0;
  }

  // The functions inlined at `address`, innermost first, each with its line; `frame`'s own
  // file and line become the call site of the outermost one in the real function. The line
  // table gives the innermost line; each inlined scope's DW_AT_call_file/line, the next out.
  // Each function's first line too.
  // dwarf_getscopes finds the innermost scope, but past an inlined call it goes on through
  // the inlined function's own (abstract) definition; the scopes that physically contain the
  // innermost one, every level of inlining up to the real function, come from
  // dwarf_getscopes_die (as in elfutils' addr2line -i).
  void add_inlined(Dwfl_Module* module, uintptr_t address, SymbolizedFrame& frame) {
    Dwarf_Addr bias = 0;
    Dwarf_Die* unit = addrdie(module, address, &bias);
    if (unit == nullptr) return;
    Dwarf_Die* innermost = nullptr;
    if (getscopes(unit, address - bias, &innermost) <= 0) return;
    Dwarf_Die scope = innermost[0];
    free(innermost);
    Dwarf_Die* scopes = nullptr;
    const int count = getscopes_die(&scope, &scopes);
    if (count <= 0) return;
    Dwarf_Files* files = nullptr;
    size_t file_count = 0;
    const bool have_files = getsrcfiles(unit, &files, &file_count) == 0;
    std::string file = frame.file;
    int line = frame.line;
    for (int i = 0; i < count; ++i) {
      if (tag(&scopes[i]) == DW_TAG_subprogram) {
        frame.function_line = function_line(&scopes[i]);
        break;
      }
      if (tag(&scopes[i]) != DW_TAG_inlined_subroutine) continue;  // lexical blocks
      frame.inlined.push_back({function_name(&scopes[i]), file, line, function_line(&scopes[i])});
      Dwarf_Attribute storage;
      Dwarf_Word call_file = 0;
      Dwarf_Word call_line = 0;
      file.clear();
      line = 0;
      if (have_files && formudata(attr(&scopes[i], DW_AT_call_file, &storage), &call_file) == 0 &&
          call_file < file_count) {
        if (const char* name = filesrc(files, call_file, nullptr, nullptr)) file = name;
      }
      if (formudata(attr(&scopes[i], DW_AT_call_line, &storage), &call_line) == 0) line = static_cast<int>(call_line);
    }
    free(scopes);
    if (!frame.inlined.empty()) {
      frame.file = file;
      frame.line = line;
    }
  }
};

std::string demangle(const char* name) {
  if (name == nullptr) return {};
  // Only a mangled name: __cxa_demangle also reads type codes, which C names like f or w are.
  if (std::strncmp(name, "_Z", 2) != 0) return name;
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

// dl_iterate_phdr callback: the NT_GNU_BUILD_ID of the loaded module whose base is `base`,
// read from its PT_NOTE segments in memory.
struct BuildIdSearch {
  uintptr_t base;
  std::string hex;
};

int find_build_id(dl_phdr_info* info, size_t, void* data) {
  auto* search = static_cast<BuildIdSearch*>(data);
  if (info->dlpi_addr != search->base) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_NOTE) continue;
    const char* note = reinterpret_cast<const char*>(info->dlpi_addr + segment.p_vaddr);
    const char* end = note + segment.p_memsz;
    auto aligned = [&](size_t size) { return (size + segment.p_align - 1) & ~(segment.p_align - 1); };
    while (segment.p_align != 0 && note + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) header;
      std::memcpy(&header, note, sizeof header);
      const char* name = note + sizeof header;
      const char* desc = name + aligned(header.n_namesz);
      if (desc + header.n_descsz > end) break;
      if (header.n_type == NT_GNU_BUILD_ID && header.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
        static constexpr char kDigits[] = "0123456789abcdef";
        for (size_t b = 0; b < header.n_descsz; ++b) {
          const auto byte = static_cast<unsigned char>(desc[b]);
          search->hex += kDigits[byte >> 4];
          search->hex += kDigits[byte & 15];
        }
        return 1;
      }
      note = desc + aligned(header.n_descsz);
    }
  }
  return 1;
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

const std::string& Symbolizer::build_id(uintptr_t load_base) {
  auto cached = build_ids_.find(load_base);
  if (cached != build_ids_.end()) return cached->second;
  BuildIdSearch search{load_base, {}};
  dl_iterate_phdr(find_build_id, &search);
  return build_ids_.emplace(load_base, std::move(search.hex)).first->second;
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
    frame.build_id = build_id(module->l_addr);
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
      dwarf_->add_inlined(dwfl_module, call_address, frame);
    }
  }
  return frame;
}

}  // namespace lockwatch

// Symbolizer: turns return addresses into frames a person can read, at report time only.
// Module, module-relative offset and the module's GNU build id come from the dynamic loader
// (dladdr1, dl_iterate_phdr), always. Function, file, line and the chain of inlined calls come
// from elfutils' libdw when it is installed: it reads .symtab and DWARF, which dladdr cannot.
// libdw is loaded with dlopen on first use, so processes that never report never load it, and
// a machine without it still gets module+offset+build id and exported names.
// Thread-safe: one SpinLock around everything (reports are rare; results are cached).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "spin_lock.h"

namespace lockwatch {

// A function inlined at a frame's pc: its name and the source line in it.
struct InlinedFrame {
  std::string function;  // demangled
  std::string file;
  int line = 0;
  int function_line = 0;  // where the function begins (its declaration's line); 0: unknown
};

struct SymbolizedFrame {
  uintptr_t pc = 0;
  std::string module;    // absolute path of the executable or shared object
  uintptr_t offset = 0;  // pc relative to the module's load base (what addr2line -e module takes)
  std::string build_id;  // the module's NT_GNU_BUILD_ID in hex; empty when it has none
  std::string function;  // demangled; empty when unknown
  std::string file;      // with inlined calls: the line of `function` that made the outermost one
  int line = 0;
  int function_line = 0;              // where `function` begins (its declaration's line); 0: unknown
  std::vector<InlinedFrame> inlined;  // the calls inlined at pc, innermost first
};

class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // `return_address` is looked up as the call instruction before it.
  SymbolizedFrame symbolize(uintptr_t return_address);

  // fork(): see Reporter::lock_for_fork.
  void lock_for_fork() { lock_.lock(); }
  void unlock_after_fork() { lock_.unlock(); }

 private:
  struct Dwarf;
  SymbolizedFrame lookup(uintptr_t return_address);
  const std::string& build_id(uintptr_t load_base);

  SpinLock lock_;
  Dwarf* dwarf_ = nullptr;
  bool dwarf_tried_ = false;
  std::unordered_map<uintptr_t, SymbolizedFrame> cache_;
  std::unordered_map<uintptr_t, std::string> build_ids_;  // by module load base
};

// A C++ (Itanium-mangled, _Z...) symbol name demangled; any other name as it is.
std::string demangle(const char* name);

}  // namespace lockwatch

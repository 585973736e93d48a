// Symbolizer: turns return addresses into frames a person can read, at report time only.
// Module and module-relative offset come from the dynamic loader (dladdr1), always. Function,
// file and line come from elfutils' libdw when it is installed: it reads .symtab and DWARF,
// which dladdr cannot. libdw is loaded with dlopen on first use, so processes that never
// report never load it, and a machine without it still gets module+offset and exported names.
// Thread-safe: one SpinLock around everything (reports are rare; results are cached).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "spin_lock.h"

namespace lockwatch {

struct SymbolizedFrame {
  uintptr_t pc = 0;
  std::string module;    // absolute path of the executable or shared object
  uintptr_t offset = 0;  // pc relative to the module's load base (what addr2line -e module takes)
  std::string function;  // demangled; empty when unknown
  std::string file;
  int line = 0;
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

  SpinLock lock_;
  Dwarf* dwarf_ = nullptr;
  bool dwarf_tried_ = false;
  std::unordered_map<uintptr_t, SymbolizedFrame> cache_;
};

std::string demangle(const char* name);

}  // namespace lockwatch

// Interposers for the calls that give memory back while locks may still live in it: free and
// dlclose (libstdc++'s operator delete frees through free; an allocator that replaces operator
// delete, like tcmalloc, is not seen: the shim exports no C++ symbols). A std::mutex is never
// destroyed through a pthread call, and C programs often free a struct without
// pthread_mutex_destroy: unless the lock is
// forgotten before its memory is reused, a new lock at the same address inherits the dead
// one's edges, and the first acquisition in the other order is a false lock_order_inversion.
// Cost on every free: the allocator's malloc_usable_size and one filter load per 4 KiB
// (LockAddressFilter); only memory that may hold a tracked lock reaches the detector.
//
// The allocator functions are resolved apart from the pthread ones (real_functions.h), without
// waiting for any other thread: free is called from inside the dynamic loader, with its lock
// held, and a thread that waited there for another thread's dlsym would deadlock. A free made
// from inside this thread's own dlsym, before anything is resolved, is leaked (bytes, once).
// When free and malloc_usable_size do not come from the same allocator, sizes cannot be
// trusted and frees are not checked.
#include <dlfcn.h>
#include <link.h>

#include <atomic>
#include <cstddef>

#include "runtime.h"

using namespace lockwatch;
using namespace lockwatch::preload;

namespace {

struct AllocatorFunctions {
  void (*free)(void*);
  size_t (*usable_size)(void*);
  int (*dlclose)(void*);
  bool sizes_trusted;  // free and malloc_usable_size belong to one allocator
};

AllocatorFunctions allocator;
std::atomic<bool> allocator_resolved{false};
__thread bool resolving_allocator __attribute__((tls_model("initial-exec"))) = false;

template <typename F>
void resolve(F& slot, const char* name) {
  slot = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

bool same_object(const void* a, const void* b) {
  Dl_info first{}, second{};
  return dladdr(a, &first) != 0 && dladdr(b, &second) != 0 && first.dli_fbase == second.dli_fbase;
}

// Null only inside this thread's own first resolution. Threads that race here each resolve
// (dlsym is thread-safe and they store the same values).
__attribute__((noinline)) const AllocatorFunctions* resolve_allocator_functions() {
  if (resolving_allocator) return nullptr;
  resolving_allocator = true;
  AllocatorFunctions found{};
  resolve(found.free, "free");
  resolve(found.usable_size, "malloc_usable_size");
  resolve(found.dlclose, "dlclose");
  found.sizes_trusted = found.free != nullptr && found.usable_size != nullptr &&
                        same_object(reinterpret_cast<void*>(found.free), reinterpret_cast<void*>(found.usable_size));
  allocator = found;
  allocator_resolved.store(true, std::memory_order_release);
  resolving_allocator = false;
  return &allocator;
}

inline const AllocatorFunctions* allocator_functions() {
  if (__builtin_expect(allocator_resolved.load(std::memory_order_acquire), 1)) return &allocator;
  return resolve_allocator_functions();
}

// Before memory at `block` (`bytes` long) goes back: the locks in it are forgotten first, so
// that a lock another thread makes there the moment it is reused is a new one.
// Called once lockwatch runs (Runtime::running()).
inline void release(void* block, size_t bytes) {
  if (bytes == 0) return;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(block);
  Detector& detector = Runtime::instance().detector();
  if (__builtin_expect(detector.may_hold_locks(begin, begin + bytes), 0) && !inside_lockwatch()) {
    detector.on_memory_released(begin, begin + bytes);
  }
}

// Writable segments of one loaded object: where its static locks live.
struct ObjectSegments {
  static constexpr int kMax = 8;
  uintptr_t base = 0;
  uintptr_t begin[kMax] = {};
  uintptr_t end[kMax] = {};
  int count = 0;
};

int collect_writable_segments(dl_phdr_info* info, size_t, void* data) {
  auto& segments = *static_cast<ObjectSegments*>(data);
  if (info->dlpi_addr != segments.base || segments.count != 0) return 0;
  for (int i = 0; i < info->dlpi_phnum && segments.count < ObjectSegments::kMax; ++i) {
    const ElfW(Phdr)& header = info->dlpi_phdr[i];
    if (header.p_type != PT_LOAD || (header.p_flags & PF_W) == 0 || header.p_memsz == 0) continue;
    segments.begin[segments.count] = info->dlpi_addr + header.p_vaddr;
    segments.end[segments.count] = info->dlpi_addr + header.p_vaddr + header.p_memsz;
    ++segments.count;
  }
  return segments.count != 0;
}

int find_object_at(dl_phdr_info* info, size_t, void* data) {
  const uintptr_t address = *static_cast<uintptr_t*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& header = info->dlpi_phdr[i];
    const uintptr_t begin = info->dlpi_addr + header.p_vaddr;
    if (header.p_type == PT_LOAD && address >= begin && address < begin + header.p_memsz) return 1;
  }
  return 0;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void free(void* block) {
  const AllocatorFunctions* functions = allocator_functions();
  if (functions == nullptr) return;  // from inside dlsym, before free is known: leaked
  if (block != nullptr && functions->sizes_trusted && Runtime::running()) release(block, functions->usable_size(block));
  functions->free(block);
}

// The library is unmapped only when this was its last handle; then its static locks are gone.
__attribute__((visibility("default"))) int dlclose(void* handle) {
  const AllocatorFunctions* functions = allocator_functions();
  if (functions == nullptr || functions->dlclose == nullptr) return -1;
  ObjectSegments segments;
  link_map* map = nullptr;
  if (Runtime::running() && !inside_lockwatch() && dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr) {
    segments.base = map->l_addr;
    dl_iterate_phdr(collect_writable_segments, &segments);
  }
  const int result = functions->dlclose(handle);
  if (result != 0 || segments.count == 0 || dl_iterate_phdr(find_object_at, &segments.begin[0]) != 0) return result;
  for (int i = 0; i < segments.count; ++i) release(reinterpret_cast<void*>(segments.begin[i]), segments.end[i] - segments.begin[i]);
  return result;
}

}  // extern "C"

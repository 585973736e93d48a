// A plug-in with static mutexes is loaded, run and unloaded; a second plug-in of the same
// shape is then loaded at the same addresses and locks its own mutexes in the opposite order.
// They are different locks: no lock_order_inversion. Exits 3 if the second plug-in did not
// land at the first one's addresses (nothing was tested).
// Usage: clean_dlclose_static_locks FIRST.so SECOND.so
#include <dlfcn.h>
#include <stdio.h>

typedef const void* (*first_lock_fn)(void);
typedef int (*run_fn)(void);

static const void* load_run_unload(const char* path) {
  void* plugin = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (plugin == NULL) {
    fprintf(stderr, "clean_dlclose_static_locks: %s\n", dlerror());
    return NULL;
  }
  first_lock_fn first_lock;
  run_fn run;
  *(void**)&first_lock = dlsym(plugin, "plugin_first_lock");  // POSIX's way to a function
  *(void**)&run = dlsym(plugin, "plugin_run");
  const void* lock = first_lock();
  run();
  dlclose(plugin);
  return lock;
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const void* first = load_run_unload(argv[1]);
  const void* second = load_run_unload(argv[2]);
  if (first == NULL || second == NULL) return 2;
  if (first != second) {
    puts("clean_dlclose_static_locks: the second plug-in was loaded elsewhere");
    return 3;
  }
  puts("clean_dlclose_static_locks: both plug-ins ran at the same addresses");
  return 0;
}

// Where the CLI finds what it runs, relative to its own binary, so the build tree and an
// installed prefix both work without configuration: liblockwatch.so in ../lib or beside it, and
// the sample programs of `lockwatch demo` in ../samples (build tree only: they are not installed).
#pragma once

#include <filesystem>

namespace lockwatch::cli {

// The directory of the running lockwatch binary; empty if /proc/self/exe cannot be read.
std::filesystem::path binary_directory();
// liblockwatch.so, canonical; empty when it is in neither place.
std::filesystem::path find_library();
// The directory holding the built samples (build/samples); it may not exist.
std::filesystem::path samples_directory();

}  // namespace lockwatch::cli

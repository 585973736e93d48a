// Symbolizer: names as the reports show them.
#include "report/symbolizer.h"

#include <doctest/doctest.h>

using namespace lockwatch;

TEST_CASE("C++ names are demangled, and C names stay as they are even when they read as type codes") {
  CHECK(demangle("_Z9lock_pairP15pthread_mutex_tS0_") == "lock_pair(pthread_mutex_t*, pthread_mutex_t*)");
  CHECK(demangle("_ZNSt5mutex4lockEv") == "std::mutex::lock()");
  // Single letters and the like are also Itanium type codes (f: float, w: wchar_t).
  CHECK(demangle("f") == "f");
  CHECK(demangle("w") == "w");
  CHECK(demangle("i") == "i");
  CHECK(demangle("main") == "main");
  CHECK(demangle("_Zbroken") == "_Zbroken");  // not a valid mangling: as it is
}

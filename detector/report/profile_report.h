// The contention profile as a person and a script read it: a `profile` JSON Lines record with
// every lock over the threshold and every acquisition site, and the text tables of the top
// locks and sites (sorted by the profile_sort option) printed at exit with profile=print.
#pragma once

#include <sys/types.h>

#include <string>

#include "lock_profile.h"
#include "options.h"
#include "report/resolved_stacks.h"

namespace lockwatch {

// The stacks a profile names (creation and hottest sites of its locks, its sites).
std::vector<StackId> profile_stacks(const ProfileSnapshot& profile);

std::string profile_record(const ProfileSnapshot& profile, const ResolvedStacks& stacks, const Options& options);
std::string profile_text(const ProfileSnapshot& profile, const ResolvedStacks& stacks, const Options& options,
                         pid_t pid);

// 1234 ns -> "1.23 us"; three significant digits, in ns, us, ms or s.
std::string human_duration(uint64_t ns);

}  // namespace lockwatch

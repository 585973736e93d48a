// Open-addressed table of the objects being waited on; see wait_table.h.
#include "wait_table.h"

namespace lockwatch {
namespace {

size_t home(uintptr_t object) { return (object * 0x9e3779b97f4a7c15ull >> 52) % WaitTable::kSlots; }

}  // namespace

size_t WaitTable::find(uintptr_t object) const {
  for (size_t i = home(object), probes = 0; probes < kSlots; i = (i + 1) % kSlots, ++probes) {
    if (entries_[i].object == object) return i;
    if (entries_[i].object == 0) break;
  }
  return kSlots;
}

WaitTable::Binding WaitTable::begin_wait(uintptr_t object, uintptr_t mutex, uint32_t thread, pid_t tid,
                                              StackId stack) {
  SpinLockGuard guard(lock_);
  if (size_t i = find(object); i != kSlots) {
    const Binding before = entries_[i].binding;
    ++entries_[i].binding.waiters;
    return before;
  }
  if (used_.load(std::memory_order_relaxed) < kSlots * 3 / 4) {
    size_t i = home(object);
    while (entries_[i].object != 0) i = (i + 1) % kSlots;
    entries_[i] = {object, {mutex, 1, 0, thread, tid, stack}};
    used_.fetch_add(1, std::memory_order_relaxed);
  }
  return {};
}

void WaitTable::end_wait(uintptr_t object) {
  SpinLockGuard guard(lock_);
  size_t i = find(object);
  if (i == kSlots) return;
  Binding& binding = entries_[i].binding;
  if (--binding.waiters > 0) {
    if (binding.woken > 0) --binding.woken;  // the leaving waiter was most likely a woken one
    return;
  }
  // Remove without tombstones: shift later members of the probe chain back (linear probing).
  entries_[i] = {};
  used_.fetch_sub(1, std::memory_order_relaxed);
  for (size_t j = (i + 1) % kSlots; entries_[j].object != 0; j = (j + 1) % kSlots) {
    const size_t wanted = home(entries_[j].object);
    // Move j into the hole at i when its home is not in the cyclic range (i, j].
    const bool stays = (i < j) ? (wanted > i && wanted <= j) : (wanted > i || wanted <= j);
    if (stays) continue;
    entries_[i] = entries_[j];
    entries_[j] = {};
    i = j;
  }
}

uintptr_t WaitTable::wake(uintptr_t object, bool all) {
  if (used_.load(std::memory_order_relaxed) == 0) return 0;  // nobody waits anywhere: no lock
  SpinLockGuard guard(lock_);
  const size_t i = find(object);
  if (i == kSlots) return 0;
  Binding& binding = entries_[i].binding;
  binding.woken = all ? binding.waiters : (binding.woken < binding.waiters ? binding.woken + 1 : binding.waiters);
  return binding.mutex;
}

WaitTable::Binding WaitTable::binding(uintptr_t object) const {
  SpinLockGuard guard(lock_);
  const size_t i = find(object);
  return i == kSlots ? Binding{} : entries_[i].binding;
}

}  // namespace lockwatch

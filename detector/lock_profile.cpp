// Lock and site records of the contention profile; see lock_profile.h.
#include "lock_profile.h"

#include "internal_allocator.h"
#include "page_grouped_slot.h"

#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace lockwatch {
namespace {

template <typename T>
T* map_table(size_t count) {
  void* memory =
      mmap(nullptr, count * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return memory == MAP_FAILED ? nullptr : static_cast<T*>(memory);
}

void raise_max(std::atomic<uint64_t>& maximum, uint64_t value) {
  uint64_t seen = maximum.load(std::memory_order_relaxed);
  while (value > seen && !maximum.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

void add(std::atomic<uint64_t>& counter, uint64_t value) {
  counter.fetch_add(value, std::memory_order_relaxed);
}

size_t slot_of(uint64_t key, size_t slots) {
  return ((key * 0x9e3779b97f4a7c15ull) >> 20) & (slots - 1);
}

// Counts `site` for `lock`'s hottest sites: the site's own counter when it has one, else it
// takes the place of the lesser one, whose count it inherits (space-saving).
void count_hot_site(LockTimes& lock, StackId site) {
  if (site == kNoStack) return;
  for (size_t i = 0; i < 2; ++i) {
    if (lock.hot_sites[i].load(std::memory_order_relaxed) == site) {
      lock.hot_counts[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  const size_t lesser =
      lock.hot_counts[0].load(std::memory_order_relaxed) <= lock.hot_counts[1].load(std::memory_order_relaxed) ? 0 : 1;
  lock.hot_sites[lesser].store(site, std::memory_order_relaxed);
  lock.hot_counts[lesser].fetch_add(1, std::memory_order_relaxed);
}

// Moves the first hold kept in `record` into its block of times: once, by whoever comes first.
void move_first_hold(LockRecord& record, LockTimes& times) {
  if (const uint64_t first_hold_ns = record.first_hold_ns.exchange(0, std::memory_order_acq_rel)) {
    times.timed.add_hold(first_hold_ns);
    count_hot_site(times, record.first_hold_site.load(std::memory_order_relaxed));
  }
}

// The timed-event block of `lock`, made when needed (with the first hold kept in the record
// moved into it); null when out of memory (the event then goes uncounted).
LockTimes* times_of(LockRecord& record) {
  LockTimes* times = record.times.load(std::memory_order_acquire);
  if (times != nullptr) return times;
  void* block = internal_allocate(sizeof(LockTimes));
  if (block == nullptr) return nullptr;
  std::memset(block, 0, sizeof(LockTimes));
  auto* fresh = static_cast<LockTimes*>(block);
  if (!record.times.compare_exchange_strong(times, fresh, std::memory_order_acq_rel)) {
    internal_free(block, sizeof(LockTimes));
    return times;
  }
  move_first_hold(record, *fresh);
  return fresh;
}

LockHistograms* histograms_of(LockTimes& lock) {
  LockHistograms* histograms = lock.histograms.load(std::memory_order_acquire);
  if (histograms != nullptr) return histograms;
  void* block = internal_allocate(sizeof(LockHistograms));  // locks with timed events only
  if (block == nullptr) return nullptr;
  std::memset(block, 0, sizeof(LockHistograms));
  auto* fresh = static_cast<LockHistograms*>(block);
  if (lock.histograms.compare_exchange_strong(histograms, fresh, std::memory_order_acq_rel)) return fresh;
  internal_free(block, sizeof(LockHistograms));
  return histograms;
}

}  // namespace

uint64_t monotonic_ns() noexcept {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(now.tv_nsec);
}

void LatencyHistogram::add(uint64_t ns) {
  const size_t bucket = ns == 0 ? 0 : std::min<size_t>(63 - __builtin_clzll(ns), kBuckets - 1);
  buckets[bucket].fetch_add(1, std::memory_order_relaxed);
}

uint64_t LatencyHistogram::quantile(double fraction) const {
  uint64_t total = 0;
  for (const auto& bucket : buckets) total += bucket.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  const auto wanted = static_cast<uint64_t>(fraction * static_cast<double>(total - 1)) + 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets[i].load(std::memory_order_relaxed);
    if (seen >= wanted) return (uint64_t{2} << i) - 1;
  }
  return (uint64_t{2} << (kBuckets - 1)) - 1;
}

LockProfile::LockProfile() = default;

bool LockProfile::mapped() {
  if (ready_.load(std::memory_order_acquire)) return true;
  SpinLockGuard guard(map_lock_);
  if (!ready_.load(std::memory_order_relaxed) && !failed_) {
    lock_index_ = map_table<LockSlot>(kLockSlots);
    locks_.slots = map_table<LockRecord>(kLockSlots);
    locks_.used = map_table<std::atomic<uint32_t>>(kLockSlots);
    sites_.slots = map_table<SiteRecord>(kSiteSlots);
    sites_.used = map_table<std::atomic<uint32_t>>(kSiteSlots);
    failed_ = lock_index_ == nullptr || locks_.slots == nullptr || locks_.used == nullptr || sites_.slots == nullptr ||
              sites_.used == nullptr;
    if (!failed_) ready_.store(true, std::memory_order_release);
  }
  return ready_.load(std::memory_order_relaxed);
}

LockProfile::~LockProfile() {
  if (lock_index_ != nullptr) munmap(lock_index_, kLockSlots * sizeof(LockSlot));
  if (locks_.slots != nullptr) munmap(locks_.slots, kLockSlots * sizeof(LockRecord));
  if (locks_.used != nullptr) munmap(locks_.used, kLockSlots * sizeof(std::atomic<uint32_t>));
  if (sites_.slots != nullptr) munmap(sites_.slots, kSiteSlots * sizeof(SiteRecord));
  if (sites_.used != nullptr) munmap(sites_.used, kSiteSlots * sizeof(std::atomic<uint32_t>));
}

LockRecord* LockProfile::find(uintptr_t address) const {
  if (address == 0 || !ready_.load(std::memory_order_acquire)) return nullptr;
  for (size_t i = page_grouped_slot(address, kLockSlotsBits), probes = 0; probes < kMaxProbes;
       i = (i + 1) & (kLockSlots - 1), ++probes) {
    const LockSlot& slot = lock_index_[i];
    const uintptr_t seen = slot.address.load(std::memory_order_acquire);
    if (seen == 0) return nullptr;
    if (seen == address) {
      const uint32_t number = slot.record.load(std::memory_order_acquire);
      return number == 0 ? nullptr : &locks_.slots[number - 1];  // still being created
    }
  }
  return nullptr;
}

LockRecord* LockProfile::record(uintptr_t address, LockKind kind, StackId created_at, bool* created) {
  if (address == 0 || !mapped()) return nullptr;
  for (size_t i = page_grouped_slot(address, kLockSlotsBits), probes = 0; probes < kMaxProbes;
       i = (i + 1) & (kLockSlots - 1), ++probes) {
    LockSlot& slot = lock_index_[i];
    uintptr_t seen = slot.address.load(std::memory_order_acquire);
    if (seen == 0 && slot.address.compare_exchange_strong(seen, address, std::memory_order_acq_rel)) {
      // Records are handed out in order, so the ones in use are dense in memory.
      const uint32_t number = next_record_.fetch_add(1, std::memory_order_relaxed);
      if (number >= kLockSlots) break;
      LockRecord& record = locks_.slots[number];
      record.kind.store(static_cast<uint8_t>(kind), std::memory_order_relaxed);
      record.created_at.store(created_at, std::memory_order_relaxed);
      record.address.store(address, std::memory_order_release);
      slot.record.store(number + 1, std::memory_order_release);
      locks_.note_used(number);
      if (created != nullptr) *created = true;
      return &record;
    }
    if (seen == address) {
      // Its creator may still be filling it in: a few instructions.
      uint32_t number = slot.record.load(std::memory_order_acquire);
      while (number == 0) number = slot.record.load(std::memory_order_acquire);
      return &locks_.slots[number - 1];
    }
  }
  dropped_locks_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

SiteRecord* LockProfile::site_record(StackId site) {
  if (site == kNoStack || !mapped()) return nullptr;
  for (size_t i = slot_of(site, kSiteSlots), probes = 0; probes < 64; i = (i + 1) & (kSiteSlots - 1), ++probes) {
    SiteRecord& slot = sites_.slots[i];
    StackId seen = slot.site.load(std::memory_order_acquire);
    if (seen == kNoStack && slot.site.compare_exchange_strong(seen, site, std::memory_order_acq_rel)) {
      sites_.note_used(i);
      return &slot;
    }
    if (seen == site) return &slot;
  }
  return nullptr;
}

void TimedCounters::add_wait(uint64_t wait_ns) {
  add(contended, 1);
  add(wait_total_ns, wait_ns);
  raise_max(wait_max_ns, wait_ns);
}

void TimedCounters::add_hold(uint64_t hold_ns) {
  add(hold_samples, 1);
  add(hold_total_ns, hold_ns);
  raise_max(hold_max_ns, hold_ns);
}

void LockProfile::add_wait(LockRecord& lock, StackId site, uint64_t wait_ns) {
  if (LockTimes* times = times_of(lock)) {
    times->timed.add_wait(wait_ns);
    if (LockHistograms* histograms = histograms_of(*times)) histograms->wait.add(wait_ns);
    count_hot_site(*times, site);
  }
  if (SiteRecord* record = site_record(site)) record->timed.add_wait(wait_ns);
}

void LockProfile::add_hold(LockRecord& lock, StackId site, uint64_t hold_ns) {
  uint64_t none = 0;
  if (lock.times.load(std::memory_order_acquire) == nullptr &&
      lock.first_hold_ns.compare_exchange_strong(none, std::max<uint64_t>(hold_ns, 1), std::memory_order_acq_rel)) {
    lock.first_hold_site.store(site, std::memory_order_relaxed);  // a block made this very moment may miss it
    // Kept in the record until the lock has a block of times. Where one is made meanwhile, its
    // maker finds the hold here, or this finds the block: either moves it, once.
    if (LockTimes* times = lock.times.load(std::memory_order_acquire)) move_first_hold(lock, *times);
  } else if (LockTimes* times = times_of(lock)) {
    times->timed.add_hold(hold_ns);
    // Histograms belong to contended locks (add_wait makes them): a million locks each timed
    // once must not cost a million histograms.
    if (LockHistograms* histograms = times->histograms.load(std::memory_order_acquire)) histograms->hold.add(hold_ns);
    count_hot_site(*times, site);
  }
  if (SiteRecord* record = site_record(site)) record->timed.add_hold(hold_ns);
}

void LockProfile::add_cond_wait(LockRecord& lock, uint64_t wait_ns) {
  if (LockTimes* times = times_of(lock)) {
    add(times->cond_wait_total_ns, wait_ns);
    raise_max(times->cond_wait_max_ns, wait_ns);
  }
}

void LockProfile::count_cond_wait(LockRecord& lock) {
  if (LockTimes* times = times_of(lock)) times->cond_waits.fetch_add(1, std::memory_order_relaxed);
}

void LockProfile::count_cond_wakeup(LockRecord& lock) {
  if (LockTimes* times = times_of(lock)) times->cond_wakeups.fetch_add(1, std::memory_order_relaxed);
}

void LockProfile::merge_site(ThreadProfile::SiteCount& entry) {
  const uint32_t count = entry.acquisitions.exchange(0, std::memory_order_relaxed);
  const uint32_t changes = entry.owner_changes.exchange(0, std::memory_order_relaxed);
  if (count == 0 && changes == 0) return;
  if (SiteRecord* record = site_record(entry.site)) {
    add(record->acquisitions, count);
    add(record->owner_changes, changes);
  }
}

std::vector<LockProfileRow> LockProfile::lock_rows(uint64_t min_contended) const {
  std::vector<LockProfileRow> rows;
  locks_.for_each_used([&](const LockRecord& lock) {
    const uintptr_t address = lock.address.load(std::memory_order_acquire);
    const LockTimes* times = lock.times.load(std::memory_order_acquire);
    const bool over_threshold = times != nullptr
                                    ? times->timed.contended.load(std::memory_order_relaxed) >= min_contended ||
                                          times->cond_waits.load(std::memory_order_relaxed) >= min_contended
                                    : min_contended == 0;
    if (address == 0 || !over_threshold) return;
    LockProfileRow row{};
    row.address = address;
    row.kind = static_cast<LockKind>(lock.kind.load(std::memory_order_relaxed));
    row.created_at = lock.created_at.load(std::memory_order_relaxed);
    row.reads = lock.reads.load(std::memory_order_relaxed);
    row.acquisitions = lock.acquisitions.load(std::memory_order_relaxed) + row.reads;
    row.owner_changes = lock.owner_changes.load(std::memory_order_relaxed);
    if (times == nullptr) {
      row.hold_total_ns = row.hold_max_ns = lock.first_hold_ns.load(std::memory_order_relaxed);
      row.hold_samples = row.hold_total_ns != 0 ? 1 : 0;
      if (row.hold_samples != 0) row.hot_sites[0] = lock.first_hold_site.load(std::memory_order_relaxed);
    } else {
      times->timed.copy_to(row);
      row.cond_waits = times->cond_waits.load(std::memory_order_relaxed);
      row.cond_wakeups = times->cond_wakeups.load(std::memory_order_relaxed);
      row.cond_wait_total_ns = times->cond_wait_total_ns.load(std::memory_order_relaxed);
      row.cond_wait_max_ns = times->cond_wait_max_ns.load(std::memory_order_relaxed);
      if (const LockHistograms* histograms = times->histograms.load(std::memory_order_acquire)) {
        // A bucket's upper bound, capped by the maximum seen.
        row.wait_p50_ns = std::min(histograms->wait.quantile(0.5), row.wait_max_ns);
        row.wait_p99_ns = std::min(histograms->wait.quantile(0.99), row.wait_max_ns);
        row.hold_p50_ns = std::min(histograms->hold.quantile(0.5), row.hold_max_ns);
        row.hold_p99_ns = std::min(histograms->hold.quantile(0.99), row.hold_max_ns);
      }
      const bool first_hotter =
          times->hot_counts[0].load(std::memory_order_relaxed) >= times->hot_counts[1].load(std::memory_order_relaxed);
      row.hot_sites[0] = times->hot_sites[first_hotter ? 0 : 1].load(std::memory_order_relaxed);
      row.hot_sites[1] = times->hot_sites[first_hotter ? 1 : 0].load(std::memory_order_relaxed);
    }
    rows.push_back(row);
  });
  return rows;
}

std::vector<SiteProfileRow> LockProfile::site_rows(const std::vector<ThreadProfile::SiteCount*>& live) const {
  std::map<StackId, SiteProfileRow> rows;
  sites_.for_each_used([&](const SiteRecord& site) {
    const StackId id = site.site.load(std::memory_order_acquire);
    if (id != kNoStack) {
      SiteProfileRow& row = rows[id];
      row.site = id;
      row.acquisitions = site.acquisitions.load(std::memory_order_relaxed);
      row.owner_changes = site.owner_changes.load(std::memory_order_relaxed);
      site.timed.copy_to(row);
    }
  });
  for (const ThreadProfile::SiteCount* entry : live) {
    SiteProfileRow& row = rows[entry->site];
    row.site = entry->site;
    row.acquisitions += entry->acquisitions.load(std::memory_order_relaxed);
    row.owner_changes += entry->owner_changes.load(std::memory_order_relaxed);
  }
  std::vector<SiteProfileRow> out;
  for (const auto& [site, row] : rows) out.push_back(row);
  return out;
}

void LockProfile::clear_counts() {
  if (!ready_.load(std::memory_order_acquire)) return;
  auto clear_timed = [](TimedCounters& timed) {
    for (auto* counter : {&timed.contended, &timed.wait_total_ns, &timed.wait_max_ns, &timed.hold_samples,
                          &timed.hold_total_ns, &timed.hold_max_ns}) {
      counter->store(0, std::memory_order_relaxed);
    }
  };
  locks_.for_each_used([&](LockRecord& lock) {
    lock.acquisitions.store(0, std::memory_order_relaxed);
    lock.reads.store(0, std::memory_order_relaxed);
    lock.owner_changes.store(0, std::memory_order_relaxed);
    lock.first_hold_ns.store(0, std::memory_order_relaxed);
    lock.first_hold_site.store(kNoStack, std::memory_order_relaxed);
    LockTimes* times = lock.times.load(std::memory_order_relaxed);
    if (times == nullptr) return;
    clear_timed(times->timed);
    times->cond_waits.store(0, std::memory_order_relaxed);
    times->cond_wakeups.store(0, std::memory_order_relaxed);
    times->cond_wait_total_ns.store(0, std::memory_order_relaxed);
    times->cond_wait_max_ns.store(0, std::memory_order_relaxed);
    if (LockHistograms* histograms = times->histograms.load(std::memory_order_relaxed)) {
      for (auto& bucket : histograms->wait.buckets) bucket.store(0, std::memory_order_relaxed);
      for (auto& bucket : histograms->hold.buckets) bucket.store(0, std::memory_order_relaxed);
    }
    for (size_t i = 0; i < 2; ++i) {
      times->hot_sites[i].store(kNoStack, std::memory_order_relaxed);
      times->hot_counts[i].store(0, std::memory_order_relaxed);
    }
  });
  sites_.for_each_used([&](SiteRecord& site) {
    site.acquisitions.store(0, std::memory_order_relaxed);
    site.owner_changes.store(0, std::memory_order_relaxed);
    clear_timed(site.timed);
  });
}

}  // namespace lockwatch

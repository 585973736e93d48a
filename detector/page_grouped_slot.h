// page_grouped_slot: where a lock's address starts its probe in an open-addressed table keyed
// by lock addresses (the LockRegistry's, the LockProfile's index). The 16-byte granules of a
// program page map to consecutive slots of one region of the table (256 slots: with 16-byte
// slots, one page of it), and pages hash to regions (Fibonacci hashing: one multiply). Locks
// of one page of the program then touch one or two pages of the table, not a page each, which
// a hash spreading every address would: the first touch of each such page is a page fault,
// and a read before the first write costs a second one that shoots down every CPU's TLB.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lockwatch {

// The home slot of `address` in a table of 2^table_bits slots (table_bits > 8).
inline size_t page_grouped_slot(uintptr_t address, unsigned table_bits) {
  constexpr unsigned kGranulesPerPageBits = 12 - 4;
  const size_t region = ((address >> 12) * 0x9e3779b97f4a7c15ull) >> (64 - (table_bits - kGranulesPerPageBits));
  return (region << kGranulesPerPageBits) | ((address >> 4) & ((size_t{1} << kGranulesPerPageBits) - 1));
}

}  // namespace lockwatch

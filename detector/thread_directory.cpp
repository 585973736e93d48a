// The list of live threads; see thread_directory.h.
#include "thread_directory.h"

namespace lockwatch {

void ThreadDirectory::add(ThreadRecord& thread) {
  SpinLockGuard guard(lock_);
  thread.previous_listed = nullptr;
  thread.next_listed = head_;
  if (head_ != nullptr) head_->previous_listed = &thread;
  head_ = &thread;
}

void ThreadDirectory::remove(ThreadRecord& thread) {
  SpinLockGuard guard(lock_);
  if (thread.previous_listed != nullptr) {
    thread.previous_listed->next_listed = thread.next_listed;
  } else if (head_ == &thread) {
    head_ = thread.next_listed;
  } else {
    return;  // not listed (a forked child's copy of another thread, say)
  }
  if (thread.next_listed != nullptr) thread.next_listed->previous_listed = thread.previous_listed;
  thread.next_listed = thread.previous_listed = nullptr;
}

void ThreadDirectory::replace(ThreadRecord& thread, ThreadRecord& kept) {
  SpinLockGuard guard(lock_);
  kept.previous_listed = thread.previous_listed;
  kept.next_listed = thread.next_listed;
  if (kept.previous_listed != nullptr)
    kept.previous_listed->next_listed = &kept;
  else
    head_ = &kept;
  if (kept.next_listed != nullptr) kept.next_listed->previous_listed = &kept;
  thread.next_listed = thread.previous_listed = nullptr;
}

}  // namespace lockwatch

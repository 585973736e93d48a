// Stack sampling by signal, or by scan from outside; see signal_sampler.h.
#include "signal_sampler.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <libunwind.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "internal_allocator.h"
#include "reentrancy.h"

namespace lockwatch::preload {
namespace {

enum Phase : uint32_t { kIdle, kPending, kTaking, kDone, kDeclined };

// The one sample being taken. Written by the watchdog (tid, then phase) and by the target's
// handler (pcs, count, then phase); phase hands the buffer over.
struct SampleRequest {
  std::atomic<uint32_t> phase;
  std::atomic<pid_t> tid;
  size_t count;
  uintptr_t pcs[kMaxStackDepth];
};

std::atomic<SampleRequest*> current_request{nullptr};
std::atomic<bool> dump_requested{false};
std::atomic<int> installed_signal{0};

pid_t current_tid() {
  return static_cast<pid_t>(syscall(SYS_gettid));
}

void take_sample(void* context) {
  SampleRequest* request = current_request.load(std::memory_order_acquire);
  if (request == nullptr || request->tid.load(std::memory_order_acquire) != current_tid()) return;
  uint32_t expected = kPending;
  if (!request->phase.compare_exchange_strong(expected, kTaking, std::memory_order_acq_rel)) return;
  if (interrupted_lockwatch()) {
    // lockwatch's own locks (the unwinder's cache, the depot) may be held right here.
    request->phase.store(kDeclined, std::memory_order_release);
    return;
  }
  InsideLockwatch inside;
  const auto interrupted = static_cast<uintptr_t>(static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RIP]);
  unw_context_t registers;
  unw_cursor_t cursor;
  size_t count = 0;
  if (unw_getcontext(&registers) == 0 && unw_init_local(&cursor, &registers) == 0) {
    // Up through this handler and the signal frame to the interrupted instruction.
    bool reached = false;
    for (int frame = 0; frame < 16; ++frame) {
      unw_word_t pc = 0;
      unw_get_reg(&cursor, UNW_REG_IP, &pc);
      if (pc == interrupted) {
        reached = true;
        break;
      }
      if (unw_step(&cursor) <= 0) break;
    }
    if (reached) {
      // A pc in no loaded module (generated code, a garbage frame) ends the stack: unwinding
      // from it would make LLVM libunwind search every module under the loader's lock, which
      // a thread stopped here may hold, or wait for. _dl_find_object takes no lock.
      do {
        unw_word_t pc = 0;
        unw_get_reg(&cursor, UNW_REG_IP, &pc);
        dl_find_object module{};
        if (pc == 0 || _dl_find_object(reinterpret_cast<void*>(pc), &module) != 0) break;
        request->pcs[count++] = pc;
      } while (count < kMaxStackDepth && unw_step(&cursor) > 0);
    }
  }
  request->count = count;
  request->phase.store(kDone, std::memory_order_release);
}

void on_sample_signal(int, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  if (info->si_code == SI_QUEUE && info->si_value.sival_int == kDumpRequestTag) {
    dump_requested.store(true, std::memory_order_release);
  } else if (info->si_code == SI_TKILL && info->si_pid == getpid()) {
    take_sample(context);
  }
  errno = saved_errno;
}

// Reads a small /proc file into `buffer` (no allocation); false when it cannot.
bool read_proc_file(const char* path, char* buffer, size_t size) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t length = read(fd, buffer, size - 1);
  close(fd);
  if (length <= 0) return false;
  buffer[length] = '\0';
  return true;
}

// A signal mask line of a /proc status file (`key` is "SigBlk:", "SigCgt:"); false when it
// cannot be read.
bool status_mask(const char* path, const char* key, unsigned long long& mask) {
  char status[4096];
  if (!read_proc_file(path, status, sizeof status)) return false;
  const char* line = strstr(status, key);
  if (line == nullptr) return false;
  mask = strtoull(line + strlen(key), nullptr, 16);
  return true;
}

// Whether the thread blocks `signal` (when unknown: yes, it is not signalled).
bool thread_blocks(pid_t tid, int signal) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
  unsigned long long blocked = 0;
  return !status_mask(path, "SigBlk:", blocked) || ((blocked >> (signal - 1)) & 1) != 0;
}

bool handler_still_ours(int signal) {
  struct sigaction current {};
  return sigaction(signal, nullptr, &current) == 0 && (current.sa_flags & SA_SIGINFO) != 0 &&
         current.sa_sigaction == &on_sample_signal;
}

// By _dl_find_object, which takes no lock: a thread may be stuck holding the loader's.
bool inside_this_library(uintptr_t pc) {
  static dl_find_object self{};
  static const bool known = _dl_find_object(reinterpret_cast<void*>(&on_sample_signal), &self) == 0;
  dl_find_object module{};
  return known && _dl_find_object(reinterpret_cast<void*>(pc), &module) == 0 && module.dlfo_link_map == self.dlfo_link_map;
}

// Whether `address` lies in a loaded module (by _dl_find_object: no loader lock).
bool in_module(uintptr_t address) {
  dl_find_object module{};
  return _dl_find_object(reinterpret_cast<void*>(address), &module) == 0;
}

// Copies [address, address+size) of this process into `out` without ever faulting: the
// bytes of whole pages up to the first unmapped one. Returns how many were copied.
size_t safe_copy(uintptr_t address, void* out, size_t size) {
  const pid_t self = getpid();
  size_t done = 0;
  while (done < size) {
    const uintptr_t at = address + done;
    const size_t chunk = std::min(size - done, 4096 - (at % 4096));
    iovec local{static_cast<char*>(out) + done, chunk};
    iovec remote{reinterpret_cast<void*>(at), chunk};
    if (process_vm_readv(self, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(chunk)) break;
    done += chunk;
  }
  return done;
}

// Whether the bytes before `pc` end with a call instruction (E8 rel32, or FF /2 in its
// register, memory and SIB forms, with or without a REX prefix).
bool follows_call(uintptr_t pc) {
  uint8_t code[8];
  if (safe_copy(pc - sizeof code, code, sizeof code) != sizeof code) return false;
  if (code[3] == 0xE8) return true;  // call rel32: 5 bytes
  for (size_t length = 2; length <= 7; ++length) {
    const size_t at = sizeof code - length;
    if (code[at] == 0xFF && ((code[at + 1] >> 3) & 7) == 2) return true;
  }
  return false;
}

// The names of the system calls a thread outside lock calls most often sits in.
std::string syscall_state(long number) {
  switch (number) {
    case SYS_read: return "syscall:read";
    case SYS_write: return "syscall:write";
    case SYS_poll: return "syscall:poll";
    case SYS_ppoll: return "syscall:ppoll";
    case SYS_select: return "syscall:select";
    case SYS_pselect6: return "syscall:pselect6";
    case SYS_nanosleep: return "syscall:nanosleep";
    case SYS_clock_nanosleep: return "syscall:clock_nanosleep";
    case SYS_epoll_wait: return "syscall:epoll_wait";
    case SYS_epoll_pwait: return "syscall:epoll_pwait";
    case SYS_futex: return "syscall:futex";
    case SYS_accept: return "syscall:accept";
    case SYS_accept4: return "syscall:accept4";
    case SYS_recvfrom: return "syscall:recvfrom";
    case SYS_recvmsg: return "syscall:recvmsg";
    case SYS_wait4: return "syscall:wait4";
    case SYS_pause: return "syscall:pause";
    case SYS_rt_sigtimedwait: return "syscall:rt_sigtimedwait";
    case SYS_connect: return "syscall:connect";
    default: return number < 0 ? "unknown" : "syscall:" + std::to_string(number);
  }
}

}  // namespace

void SignalSampler::install(int signal) {
  if (signal == 0) return;
  struct sigaction existing {};
  if (sigaction(signal, nullptr, &existing) != 0) return;
  const bool has_handler = (existing.sa_flags & SA_SIGINFO) != 0 ? existing.sa_sigaction != nullptr
                                                                 : existing.sa_handler != SIG_DFL;
  if (has_handler) return;  // the program's: never taken over
  struct sigaction action {};
  action.sa_sigaction = &on_sample_signal;
  // Not SA_ONSTACK: a thread's small alternate stack (SIGSTKSZ) cannot hold the frame the
  // kernel pushes on this machine; the handler is short and runs on the thread's own stack.
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&action.sa_mask);
  if (sigaction(signal, &action, nullptr) == 0) installed_signal.store(signal, std::memory_order_release);
}

void SignalSampler::serve_dump_requests_here() {
  prctl(PR_SET_NAME, kWatchdogThreadName);
  const int signal = installed_signal.load(std::memory_order_acquire);
  if (signal == 0) return;
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signal);
  pthread_sigmask(SIG_UNBLOCK, &only, nullptr);
}

void SignalSampler::withdraw_dump_requests_if_taken_over() {
  static bool withdrawn = false;  // the watchdog thread's alone
  const int signal = installed_signal.load(std::memory_order_acquire);
  if (withdrawn || signal == 0 || handler_still_ours(signal)) return;
  withdrawn = true;
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signal);
  pthread_sigmask(SIG_BLOCK, &only, nullptr);
  prctl(PR_SET_NAME, kNoDumpThreadName);
}

bool SignalSampler::take_dump_request() {
  return dump_requested.exchange(false, std::memory_order_acq_rel);
}

size_t SignalSampler::process_threads() {
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return 0;
  size_t count = 0;
  while (const dirent* entry = readdir(tasks)) {
    if (entry->d_name[0] == '.') continue;
    // A main thread that called pthread_exit stays listed as a zombie while others run.
    char path[300];
    char stat[512];
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", entry->d_name);
    if (read_proc_file(path, stat, sizeof stat)) {
      const char* state = strrchr(stat, ')');
      if (state != nullptr && state[1] == ' ' && (state[2] == 'Z' || state[2] == 'X')) continue;
    }
    ++count;
  }
  closedir(tasks);
  return count > 0 ? count - 1 : 0;  // the watchdog thread
}

CurrentStack SignalSampler::current_stack(pid_t tid, StackDepot& stacks) {
  // Whether a signal can reach the thread at all, asked before where it is, so that the signal
  // follows the look at /proc as closely as possible (see the README's limits).
  const int signal = installed_signal.load(std::memory_order_acquire);
  const char* unsignalled = signal == 0                  ? "unavailable: no sample signal"
                            : !handler_still_ours(signal) ? "unavailable: the program handles the sample signal"
                            : thread_blocks(tid, signal)  ? "unavailable: the thread blocks the sample signal"
                                                          : nullptr;
  char path[64];
  char line[512];
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
  if (!read_proc_file(path, line, sizeof line)) return {kNoStack, "exited", "exited"};
  if (strncmp(line, "running", 7) == 0) {
    CurrentStack sampled = unsignalled != nullptr ? CurrentStack{kNoStack, unsignalled} : sample_by_signal(tid, signal, stacks);
    sampled.state = "running";
    return sampled;
  }
  // "nr arg1 ... arg6 sp pc" in a system call, or "-1 sp pc" off the CPU outside one.
  unsigned long long fields[9] = {};
  char* at = line;
  const long number = strtol(at, &at, 10);
  const int wanted = number < 0 ? 2 : 8;
  int parsed = 0;
  for (; parsed < wanted; ++parsed) {
    char* end = nullptr;
    fields[parsed] = strtoull(at, &end, 16);
    if (end == at) break;
    at = end;
  }
  if (parsed != wanted) return {kNoStack, "unavailable"};
  const uintptr_t stack_pointer = fields[wanted - 2];
  const uintptr_t pc = fields[wanted - 1];
  const std::string state = number < 0 ? "running" : syscall_state(number);
  // -1: in user space but off the CPU (preempted, or in a page fault): a signal disturbs
  // nothing. A futex wait with no timeout is restarted after the handler.
  bool signal_is_harmless = number < 0;
  if (number == SYS_futex) {
    const unsigned command = static_cast<unsigned>(fields[1]) & FUTEX_CMD_MASK;
    signal_is_harmless = fields[3] == 0 && (command == FUTEX_WAIT || command == FUTEX_WAIT_BITSET);
  }
  if (signal_is_harmless && unsignalled == nullptr) {
    CurrentStack sampled = sample_by_signal(tid, signal, stacks);
    sampled.state = state;
    if (sampled.stack != kNoStack) return sampled;
  }
  CurrentStack scanned = scan(stack_pointer, pc, stacks);
  scanned.state = state;
  return scanned;
}

CurrentStack SignalSampler::sample_by_signal(pid_t tid, int signal, StackDepot& stacks) {
  static SampleRequest* request = static_cast<SampleRequest*>(internal_allocate(sizeof(SampleRequest)));
  if (request == nullptr) return {};
  request->tid.store(tid, std::memory_order_release);
  request->phase.store(kPending, std::memory_order_release);
  current_request.store(request, std::memory_order_release);
  if (syscall(SYS_tgkill, getpid(), tid, signal) != 0) {
    request->phase.store(kIdle, std::memory_order_release);
    return {kNoStack, "exited"};
  }
  // Up to 200 ms for the handler to run (it is queued behind nothing: the signal is ours).
  const timespec tick{0, 1'000'000};
  for (int waited = 0; waited < 200; ++waited) {
    const uint32_t phase = request->phase.load(std::memory_order_acquire);
    if (phase == kDone || phase == kDeclined) break;
    if (phase == kPending && waited == 199) {
      uint32_t expected = kPending;
      if (request->phase.compare_exchange_strong(expected, kIdle)) return {kNoStack, "unavailable: no answer"};
    }
    nanosleep(&tick, nullptr);
  }
  const uint32_t phase = request->phase.load(std::memory_order_acquire);
  if (phase == kTaking) {
    // The handler is unwinding still: leave it this buffer for good, use a fresh one next.
    request = static_cast<SampleRequest*>(internal_allocate(sizeof(SampleRequest)));
    return {kNoStack, "unavailable: no answer"};
  }
  request->phase.store(kIdle, std::memory_order_release);
  if (phase == kDeclined) return {kNoStack, "unavailable: inside lockwatch"};
  uintptr_t frames[kMaxStackDepth];
  size_t count = 0;
  for (size_t i = 0; i < request->count; ++i) {
    if (!inside_this_library(request->pcs[i])) frames[count++] = request->pcs[i];
  }
  if (count == 0) return {kNoStack, "unavailable"};
  return {stacks.insert({frames, count}), "sampled"};
}

bool SignalSampler::program_handles_signals() {
  unsigned long long caught = 0;
  if (!status_mask("/proc/self/status", "SigCgt:", caught)) return true;
  const int signal = installed_signal.load(std::memory_order_acquire);
  if (signal != 0) caught &= ~(1ull << (signal - 1));
  caught &= ~((1ull << 31) | (1ull << 32));  // 32 and 33: glibc's own (thread cancellation, setxid)
  return caught != 0;
}

CurrentStack SignalSampler::scan(uintptr_t stack_pointer, uintptr_t pc, StackDepot& stacks) {
  constexpr size_t kScanBytes = 64 * 1024;
  constexpr size_t kMaxFrames = 32;
  std::vector<uintptr_t> words(kScanBytes / sizeof(uintptr_t));
  const size_t copied = safe_copy(stack_pointer, words.data(), kScanBytes) / sizeof(uintptr_t);
  std::vector<uintptr_t> frames;
  if (in_module(pc) && !inside_this_library(pc)) frames.push_back(pc);
  for (size_t i = 0; i < copied && frames.size() < kMaxFrames; ++i) {
    const uintptr_t word = words[i];
    // A module's data is no code: follows_call() reads the bytes before it, safely.
    if (!in_module(word) || inside_this_library(word) || !follows_call(word)) continue;
    frames.push_back(word);
  }
  if (frames.empty()) return {kNoStack, "unavailable"};
  return {stacks.insert({frames.data(), frames.size()}), "scanned"};
}

}  // namespace lockwatch::preload

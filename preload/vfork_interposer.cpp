// vfork(): the child shares the parent's memory, and runs on the parent's thread (its stack and
// TLS) until it execs or _exits, while the parent waits. Any lock call the child makes there
// would write into the parent's bookkeeping: its held locks, its graph, its reporter (which
// would adopt the child's pid and reopen the log for it). So a vfork child passes every call
// straight through: lockwatch's vfork raises the thread's reentrancy mark (reentrancy.h) before
// the system call, the child runs with it raised (the same memory), and only the parent, once
// it resumes, lowers it again. pthread_atfork handlers never run for vfork, so nothing else of
// lockwatch's knows a child exists. A program that exits a vfork child with exit() (not _exit)
// runs the parent's exit handlers in the child: undefined behaviour, not covered.
//
// It cannot be a C function: the child returns through the caller's frame and then calls
// other functions on the same stack, which overwrite any frame of ours, so the parent could
// not return through it. Like glibc's own vfork, it keeps the return address in a register
// that the system call preserves (rdi) and pushes it back afterwards. x86-64 only; elsewhere
// glibc's vfork is called directly, and a vfork child's lock calls are analysed.
#include <errno.h>

#include "reentrancy.h"

#if defined(__x86_64__)

// The failure path: errno, and -1, as glibc's vfork.
extern "C" __attribute__((visibility("hidden"), used)) int lockwatch_vfork_failed(int error) {
  errno = error;
  return -1;
}

asm(R"(
  .text
  .globl vfork
  .type vfork, @function
  .p2align 4
vfork:
  .cfi_startproc
  popq %rdi
  .cfi_adjust_cfa_offset -8
  .cfi_register %rip, %rdi
  movq _ZN9lockwatch15lockwatch_depthE@gottpoff(%rip), %rsi
  addl $1, %fs:(%rsi)
  movl $58, %eax
  syscall
  pushq %rdi
  .cfi_adjust_cfa_offset 8
  .cfi_rel_offset %rip, 0
  testq %rax, %rax
  jz 1f
  subl $1, %fs:(%rsi)
  cmpq $-4095, %rax
  jae 2f
1:
  ret
2:
  negl %eax
  movl %eax, %edi
  jmp lockwatch_vfork_failed
  .cfi_endproc
  .size vfork, .-vfork
)");

#endif

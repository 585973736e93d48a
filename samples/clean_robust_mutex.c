// clean_robust_mutex: a robust mutex whose owner dies holding it, recovered by the next locker:
// its lock returns EOWNERDEAD, it calls pthread_mutex_consistent and unlocks. lockwatch must
// report nothing about the recovery. `clean_robust_mutex process`: the owner is a child process
// (the mutex is process-shared, in shared memory) that _exit()s holding it; lockwatch must report
// nothing at all. `clean_robust_mutex thread`: the owner is a thread that returns holding it;
// robust mutexes are made for exactly that, so lockwatch must report nothing either.
// Natively, either way: prints "recovered from EOWNERDEAD", exits 0.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

void *die_holding_lock(void *lock) {
  pthread_mutex_lock(lock);
  return NULL;
}

static int owner_thread_dies(pthread_mutex_t *lock) {
  pthread_t owner;
  return pthread_create(&owner, NULL, die_holding_lock, lock) == 0 && pthread_join(owner, NULL) == 0;
}

static int owner_process_dies(pthread_mutex_t *lock) {
  pid_t owner = fork();
  if (owner == 0) {
    pthread_mutex_lock(lock);
    _exit(0);
  }
  int status = 0;
  return owner > 0 && waitpid(owner, &status, 0) == owner && WIFEXITED(status);
}

int lock_and_recover(pthread_mutex_t *lock) {
  int status = pthread_mutex_lock(lock);
  if (status == EOWNERDEAD) pthread_mutex_consistent(lock);
  pthread_mutex_unlock(lock);
  return status;
}

int main(int argc, char **argv) {
  int by_thread = argc == 2 && strcmp(argv[1], "thread") == 0;
  if (argc != 2 || (!by_thread && strcmp(argv[1], "process") != 0)) {
    fprintf(stderr, "usage: clean_robust_mutex thread|process\n");
    return 2;
  }
  pthread_mutex_t *lock = mmap(NULL, sizeof *lock, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (lock == MAP_FAILED) return 1;
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(lock, &attributes);
  pthread_mutexattr_destroy(&attributes);
  if (!(by_thread ? owner_thread_dies(lock) : owner_process_dies(lock))) {
    fprintf(stderr, "clean_robust_mutex: cannot run the owner\n");
    return 1;
  }
  int status = lock_and_recover(lock);
  pthread_mutex_destroy(lock);
  printf("clean_robust_mutex: %s\n", status == EOWNERDEAD ? "recovered from EOWNERDEAD" : "no owner died");
  return 0;
}

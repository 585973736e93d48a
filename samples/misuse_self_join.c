// misuse_self_join: a thread joins itself.
// lockwatch must report exactly one misuse:self_join (an error) whose stack names join_myself.
// glibc refuses with EDEADLK: natively prints "EDEADLK", exits 0.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

int join_myself(void) {
  return pthread_join(pthread_self(), NULL);
}

int main(void) {
  printf("misuse_self_join: joining myself returned %s\n", join_myself() == EDEADLK ? "EDEADLK" : "something else");
  return 0;
}

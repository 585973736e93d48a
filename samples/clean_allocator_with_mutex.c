// clean_allocator_with_mutex: the program's own malloc, which takes a pthread mutex inside (as
// jemalloc does), and must never be re-entered by its own thread while it holds it: a re-entry
// aborts with a message. lockwatch must report nothing and must not re-enter it: in particular
// it must not create its watchdog thread (glibc callocs the new thread's TLS) from the first lock
// call of the program's second thread, which here is inside malloc. 4 threads allocate and free;
// the output is fixed. Exits 0.
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kThreads = 4, kRounds = 2000, kHeapBytes = 64 << 20, kAlignment = 16 };

// A bump allocator over a static heap: each block is preceded by its size; free only checks.
static unsigned char heap[kHeapBytes] __attribute__((aligned(64)));
static size_t heap_used;  // guarded by heap_lock
static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int inside_allocator __attribute__((tls_model("initial-exec")));

static void enter_allocator(void) {
  if (inside_allocator) {
    static const char message[] = "clean_allocator_with_mutex: malloc re-entered while it holds its lock\n";
    (void)!write(2, message, sizeof message - 1);
    abort();
  }
  inside_allocator = 1;
  pthread_mutex_lock(&heap_lock);
}

static void leave_allocator(void) {
  pthread_mutex_unlock(&heap_lock);
  inside_allocator = 0;
}

static void *allocate(size_t size, size_t alignment) {
  if (alignment < kAlignment) alignment = kAlignment;
  enter_allocator();
  size_t start = (heap_used + sizeof(size_t) + alignment - 1) / alignment * alignment;
  void *block = NULL;
  if (start + size <= kHeapBytes) {
    memcpy(heap + start - sizeof(size_t), &size, sizeof size);
    heap_used = start + size;
    block = heap + start;
  }
  leave_allocator();
  if (block == NULL) errno = ENOMEM;
  return block;
}

static size_t block_size(const void *block) {
  size_t size;
  memcpy(&size, (const unsigned char *)block - sizeof(size_t), sizeof size);
  return size;
}

void *malloc(size_t size) {
  return allocate(size, kAlignment);
}
void free(void *block) {
  if (block == NULL) return;
  enter_allocator();
  leave_allocator();
}
void *calloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) return NULL;
  void *block = allocate(count * size, kAlignment);  // the static heap is zero and never reused
  return block;
}
void *realloc(void *old, size_t size) {
  void *block = allocate(size, kAlignment);
  if (block != NULL && old != NULL) {
    size_t old_size = block_size(old);
    memcpy(block, old, old_size < size ? old_size : size);
  }
  return block;
}
void *memalign(size_t alignment, size_t size) {
  return allocate(size, alignment);
}
void *aligned_alloc(size_t alignment, size_t size) {
  return allocate(size, alignment);
}
int posix_memalign(void **result, size_t alignment, size_t size) {
  void *block = allocate(size, alignment);
  if (block == NULL) return ENOMEM;
  *result = block;
  return 0;
}
void *valloc(size_t size) {
  return allocate(size, 4096);
}
void *pvalloc(size_t size) {
  return allocate((size + 4095) / 4096 * 4096, 4096);
}
size_t malloc_usable_size(void *block) {
  return block == NULL ? 0 : block_size(block);
}

static void *worker(void *argument) {
  long index = (long)(intptr_t)argument, sum = 0;
  for (int round = 0; round < kRounds; round++) {
    size_t size = 1 + (size_t)((round * 37 + index * 11) % 200);
    unsigned char *block = malloc(size);
    memset(block, (int)(round & 0xff), size);
    sum += block[size - 1];
    free(block);
  }
  return (void *)(intptr_t)sum;
}

int main(void) {
  pthread_t threads[kThreads];
  long total = 0;
  for (long i = 0; i < kThreads; i++) pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i);
  for (int i = 0; i < kThreads; i++) {
    void *result;
    pthread_join(threads[i], &result);
    total += (long)(intptr_t)result;
  }
  printf("%d threads allocated %d blocks each; checksum %ld\n", kThreads, kRounds, total);
  return 0;
}

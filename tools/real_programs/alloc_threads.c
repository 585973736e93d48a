// alloc_threads: an allocation-heavy multithreaded program for tools/real_programs.py, linked once
// with libjemalloc and once with libtcmalloc_minimal (allocators that lock inside malloc) and run
// with the allocator and liblockwatch.so preloaded in both orders. Correct, deadlock-free locking:
// lockwatch must report nothing, and the output depends only on the fixed seeds.
//
// THREADS threads each run ITERATIONS rounds (argument 1) of: malloc/calloc/realloc/posix_memalign
// of random sizes into a private pool, frees of random pool entries, and every 8th round a block
// handed to the next thread through its mailbox (a mutex and a condvar: cross-thread frees, the
// allocators' remote-free path; a full mailbox makes its sender drain its own first). Shared
// tallies are updated under two mutexes, always tally_lock then checksum_lock (one global order),
// and a seed is read under an rwlock. Exits 0 and prints totals that do not depend on scheduling.
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define POOL 256
#define MAILBOX 64
#define MAX_SMALL 512
#define MAX_LARGE (256 * 1024)

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  unsigned char *blocks[MAILBOX];
  size_t sizes[MAILBOX];
  int count;
  int closed;  // the sender has finished: nothing more will arrive
} Mailbox;

static Mailbox mailboxes[THREADS];
static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t checksum_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t config_lock = PTHREAD_RWLOCK_INITIALIZER;
static long iterations;
static uint64_t allocations, bytes_allocated;  // guarded by tally_lock
static uint64_t checksum;                      // guarded by checksum_lock
static uint64_t received_blocks;               // guarded by checksum_lock
static unsigned fill_seed = 7;                 // read under config_lock

static uint32_t next_random(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

static size_t random_size(uint32_t *state) {
  uint32_t r = next_random(state);
  return (r % 16 == 0) ? 1 + r % MAX_LARGE : 1 + r % MAX_SMALL;  // mostly small, some large
}

// Fills a block with bytes derived from its size and the seed; returns their sum.
static uint64_t fill(unsigned char *block, size_t size) {
  pthread_rwlock_rdlock(&config_lock);
  unsigned seed = fill_seed;
  pthread_rwlock_unlock(&config_lock);
  uint64_t sum = 0;
  for (size_t i = 0; i < size; i += 61) {
    block[i] = (unsigned char)(seed + i + size);
    sum += block[i];
  }
  return sum;
}

static uint64_t sum_of(const unsigned char *block, size_t size) {
  uint64_t sum = 0;
  for (size_t i = 0; i < size; i += 61) sum += block[i];
  return sum;
}

static unsigned char *allocate(uint32_t *state, size_t size) {
  void *block = NULL;
  switch (next_random(state) % 4) {
    case 0:
      block = malloc(size);
      break;
    case 1:
      block = calloc(1, size);
      break;
    case 2:
      block = realloc(NULL, size / 2 + 1);
      block = realloc(block, size);
      break;
    default:
      if (posix_memalign(&block, 64, size) != 0) block = NULL;
      break;
  }
  if (!block) {
    fprintf(stderr, "alloc_threads: out of memory\n");
    exit(1);
  }
  return block;
}

static uint64_t drain(Mailbox *box, int wait_until_closed, uint64_t *count);

// Puts a block in box. When it is full, the sender empties its own inbox before trying again, so
// a ring of threads that all send into full mailboxes never waits in a circle.
static void send_block(Mailbox *box, Mailbox *own_inbox, unsigned char *block, size_t size, uint64_t *received_sum,
                       uint64_t *received) {
  pthread_mutex_lock(&box->lock);
  while (box->count == MAILBOX) {
    pthread_mutex_unlock(&box->lock);
    *received_sum += drain(own_inbox, 0, received);
    sched_yield();
    pthread_mutex_lock(&box->lock);
  }
  box->blocks[box->count] = block;
  box->sizes[box->count] = size;
  box->count++;
  pthread_cond_broadcast(&box->changed);
  pthread_mutex_unlock(&box->lock);
}

// Frees every block waiting in box (they were allocated by another thread); with wait_until_closed,
// until its sender has finished. Returns the sum of their contents.
static uint64_t drain(Mailbox *box, int wait_until_closed, uint64_t *count) {
  uint64_t sum = 0;
  pthread_mutex_lock(&box->lock);
  for (;;) {
    while (box->count > 0) {
      box->count--;
      sum += sum_of(box->blocks[box->count], box->sizes[box->count]);
      free(box->blocks[box->count]);
      (*count)++;
    }
    pthread_cond_broadcast(&box->changed);
    if (!wait_until_closed || box->closed) break;
    pthread_cond_wait(&box->changed, &box->lock);
  }
  pthread_mutex_unlock(&box->lock);
  return sum;
}

static void *worker(void *argument) {
  int index = (int)(intptr_t)argument;
  uint32_t state = 0x9e3779b9u * (uint32_t)(index + 1);
  unsigned char *pool[POOL] = {0};
  size_t sizes[POOL] = {0};
  Mailbox *outbox = &mailboxes[(index + 1) % THREADS], *inbox = &mailboxes[index];
  uint64_t local_allocations = 0, local_bytes = 0, sent_sum = 0, received_sum = 0, received = 0;
  for (long round = 0; round < iterations; round++) {
    int slot = (int)(next_random(&state) % POOL);
    if (pool[slot]) {
      free(pool[slot]);
      pool[slot] = NULL;
    }
    size_t size = random_size(&state);
    pool[slot] = allocate(&state, size);
    sizes[slot] = size;
    fill(pool[slot], size);
    local_allocations++;
    local_bytes += size;
    if (round % 8 == 7) {
      size_t sent_size = random_size(&state);
      unsigned char *sent = allocate(&state, sent_size);
      sent_sum += fill(sent, sent_size);
      send_block(outbox, inbox, sent, sent_size, &received_sum, &received);
    }
    if (round % 64 == 63) {
      received_sum += drain(inbox, 0, &received);
      pthread_mutex_lock(&tally_lock);
      pthread_mutex_lock(&checksum_lock);
      allocations += local_allocations;
      bytes_allocated += local_bytes;
      local_allocations = local_bytes = 0;
      pthread_mutex_unlock(&checksum_lock);
      pthread_mutex_unlock(&tally_lock);
    }
  }
  pthread_mutex_lock(&outbox->lock);
  outbox->closed = 1;
  pthread_cond_broadcast(&outbox->changed);
  pthread_mutex_unlock(&outbox->lock);
  received_sum += drain(inbox, 1, &received);
  uint64_t pool_sum = 0;
  for (int slot = 0; slot < POOL; slot++) {
    if (pool[slot]) pool_sum += sum_of(pool[slot], sizes[slot]);
    free(pool[slot]);
  }
  pthread_mutex_lock(&tally_lock);
  pthread_mutex_lock(&checksum_lock);
  allocations += local_allocations;
  bytes_allocated += local_bytes;
  // What this thread sent is what the next one received: both sums enter the checksum, and
  // main checks that they match.
  checksum += pool_sum + sent_sum;
  checksum -= received_sum;
  received_blocks += received;
  pthread_mutex_unlock(&checksum_lock);
  pthread_mutex_unlock(&tally_lock);
  return (void *)(uintptr_t)pool_sum;
}

int main(int argc, char **argv) {
  iterations = argc > 1 ? atol(argv[1]) : 100000;
  pthread_t threads[THREADS];
  uint64_t pool_sums = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_mutex_init(&mailboxes[i].lock, NULL);
    pthread_cond_init(&mailboxes[i].changed, NULL);
  }
  pthread_rwlock_wrlock(&config_lock);
  fill_seed = 11;
  pthread_rwlock_unlock(&config_lock);
  for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i);
  for (int i = 0; i < THREADS; i++) {
    void *result;
    pthread_join(threads[i], &result);
    pool_sums += (uint64_t)(uintptr_t)result;
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_cond_destroy(&mailboxes[i].changed);
    pthread_mutex_destroy(&mailboxes[i].lock);
  }
  int balanced = checksum == pool_sums;
  printf("threads %d iterations %ld allocations %llu bytes %llu cross-thread blocks %llu pool checksum %llu %s\n",
         THREADS, iterations, (unsigned long long)allocations, (unsigned long long)bytes_allocated,
         (unsigned long long)received_blocks, (unsigned long long)pool_sums, balanced ? "balanced" : "UNBALANCED");
  return balanced ? 0 : 1;
}

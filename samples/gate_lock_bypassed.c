// gate_lock_bypassed: clean_gate_lock's two transfers under the ledger lock, and one audit
// that takes the account locks B then A without it. The audit and the A-to-B transfer can
// deadlock (the transfer holds the ledger and A and waits for B; the audit holds B and waits
// for A), so lockwatch must report exactly one lock_order_inversion, whose B -> A edge is the
// audit's (audit_b_then_a), never the gated transfer's. The audit runs after the transfers
// end, so this run never hangs. Natively: prints the total, exits 0.
#include <pthread.h>
#include <stdio.h>

#define ROUNDS 1000

static pthread_mutex_t ledger = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t account_a_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t account_b_lock = PTHREAD_MUTEX_INITIALIZER;
static long account_a = 1000000, account_b = 1000000;

void *transfer_a_to_b(void *unused) {
  (void)unused;
  for (int i = 0; i < ROUNDS; ++i) {
    pthread_mutex_lock(&ledger);
    pthread_mutex_lock(&account_a_lock);
    pthread_mutex_lock(&account_b_lock);
    account_a -= 1;
    account_b += 1;
    pthread_mutex_unlock(&account_b_lock);
    pthread_mutex_unlock(&account_a_lock);
    pthread_mutex_unlock(&ledger);
  }
  return NULL;
}

void *transfer_b_to_a(void *unused) {
  (void)unused;
  for (int i = 0; i < ROUNDS; ++i) {
    pthread_mutex_lock(&ledger);
    pthread_mutex_lock(&account_b_lock);
    pthread_mutex_lock(&account_a_lock);
    account_b -= 1;
    account_a += 1;
    pthread_mutex_unlock(&account_a_lock);
    pthread_mutex_unlock(&account_b_lock);
    pthread_mutex_unlock(&ledger);
  }
  return NULL;
}

static long total;

void *audit_b_then_a(void *unused) {
  (void)unused;
  pthread_mutex_lock(&account_b_lock);
  pthread_mutex_lock(&account_a_lock);
  total = account_a + account_b;
  pthread_mutex_unlock(&account_a_lock);
  pthread_mutex_unlock(&account_b_lock);
  return NULL;
}

int main(void) {
  pthread_t a_to_b, b_to_a, audit;
  if (pthread_create(&a_to_b, NULL, transfer_a_to_b, NULL) != 0 ||
      pthread_create(&b_to_a, NULL, transfer_b_to_a, NULL) != 0) {
    fprintf(stderr, "gate_lock_bypassed: cannot start a thread\n");
    return 1;
  }
  pthread_join(a_to_b, NULL);
  pthread_join(b_to_a, NULL);
  if (pthread_create(&audit, NULL, audit_b_then_a, NULL) != 0) {
    fprintf(stderr, "gate_lock_bypassed: cannot start a thread\n");
    return 1;
  }
  pthread_join(audit, NULL);
  printf("gate_lock_bypassed: total %ld\n", total);
  return 0;
}

// Structs holding statically initialised mutexes (no pthread_mutex_init, no destroy) are
// freed, and malloc hands their memory to new structs whose mutexes are then locked in the
// opposite order. The old and the new mutexes are different locks: no lock_order_inversion.
// Exits 3 if malloc did not reuse the memory (nothing was tested).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct node {
  pthread_mutex_t mutex;
  int value;
};

static struct node* new_node(void) {
  struct node* node = malloc(sizeof *node);
  const pthread_mutex_t initializer = PTHREAD_MUTEX_INITIALIZER;
  node->mutex = initializer;
  node->value = 0;
  return node;
}

static void link_nodes(struct node* parent, struct node* child) {
  pthread_mutex_lock(&parent->mutex);
  pthread_mutex_lock(&child->mutex);
  child->value = parent->value + 1;
  pthread_mutex_unlock(&child->mutex);
  pthread_mutex_unlock(&parent->mutex);
}

int main(void) {
  struct node* parent = new_node();
  struct node* child = new_node();
  void* first_address = parent;
  void* second_address = child;
  link_nodes(parent, child);
  free(child);
  free(parent);

  struct node* a = new_node();
  struct node* b = new_node();
  struct node* at_first = (void*)a == first_address ? a : b;
  struct node* at_second = at_first == a ? b : a;
  if ((void*)at_first != first_address || (void*)at_second != second_address) {
    puts("clean_freed_mutex_reused_c: malloc did not reuse the memory");
    return 3;
  }
  link_nodes(at_second, at_first);  // the opposite order, through new mutexes
  printf("clean_freed_mutex_reused_c: value %d\n", at_first->value);
  free(a);
  free(b);
  return 0;
}

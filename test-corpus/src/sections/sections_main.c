/* Items are placed into the custom section "my_items" by several objects and
 * found at run time through the linker-defined __start_/__stop_ symbols. */
#include <stdio.h>
#include <stdlib.h>

#include "items.h"

extern const struct item __start_my_items[];
extern const struct item __stop_my_items[];

static int double_it(int x) { return 2 * x; }
static int square_it(int x) { return x * x; }

DEFINE_ITEM(item_alpha, 3, "alpha", double_it);
DEFINE_ITEM(item_beta, 1, "beta", square_it);

static int by_id(const void *a, const void *b) {
  const struct item *x = *(const struct item *const *)a;
  const struct item *y = *(const struct item *const *)b;
  return x->id - y->id;
}

int main(void) {
  size_t n = (size_t)(__stop_my_items - __start_my_items);
  const struct item *sorted[16];
  printf("my_items holds %zu items\n", n);
  if (n > 16)
    return 1;
  for (size_t i = 0; i < n; i++)
    sorted[i] = &__start_my_items[i];
  /* Order inside the section depends on the compiler and link order. */
  qsort(sorted, n, sizeof sorted[0], by_id);
  int total = 0;
  for (size_t i = 0; i < n; i++) {
    int s = sorted[i]->score(sorted[i]->id + 4);
    printf("item id=%d name=%s score=%d\n", sorted[i]->id, sorted[i]->name, s);
    total += s;
  }
  printf("total score = %d\n", total);
  return total % 128;
}

#include "items.h"

static int triple_it(int x) { return 3 * x; }
int negate_it(int x) { return -x + 100; }

DEFINE_ITEM(item_gamma, 2, "gamma", triple_it);
DEFINE_ITEM(item_delta, 5, "delta", negate_it);
DEFINE_ITEM(item_epsilon, 4, "epsilon", triple_it);

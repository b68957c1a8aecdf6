#ifndef ITEMS_H
#define ITEMS_H

struct item {
  int id;
  const char *name;
  int (*score)(int);
} __attribute__((aligned(16)));

#define DEFINE_ITEM(var, id_, name_, fn_)                                     \
  static const struct item var                                                 \
      __attribute__((used, section("my_items"))) = {id_, name_, fn_}

#endif

/*
 * Exit-handler services linked into an out-of-process executor by the
 * controller, so that handlers registered by JIT'd code (atexit,
 * __cxa_atexit with __dso_handle) run while its memory is still mapped: the
 * executor's own exit would run them after the memory is released.
 *
 * Built by build-runtime.sh into src/runtime-objects.ts (one object per
 * architecture, embedded as bytes so the package reads no file at run time).
 */
#include <stdlib.h>

struct handler {
  void (*fn)(void *);
  void *arg;
};

static struct handler *handlers;
static unsigned long count, capacity;

/* The address JIT'd code passes as its dso handle; only its identity matters. */
void *__jitlink_rt_dso_handle = &__jitlink_rt_dso_handle;

int __jitlink_rt_cxa_atexit(void (*fn)(void *), void *arg, void *dso) {
  (void)dso;
  if (count == capacity) {
    unsigned long next = capacity ? capacity * 2 : 64;
    struct handler *grown = realloc(handlers, next * sizeof *grown);
    if (!grown)
      return -1;
    handlers = grown;
    capacity = next;
  }
  handlers[count].fn = fn;
  handlers[count].arg = arg;
  count++;
  return 0;
}

int __jitlink_rt_atexit(void (*fn)(void)) {
  return __jitlink_rt_cxa_atexit((void (*)(void *))fn, 0, 0);
}

/* Runs the handlers in reverse order of registration, as exit() does; a
 * handler may register more. Called as int(int) by run-as-int-function. */
int __jitlink_rt_run_atexit(int unused) {
  (void)unused;
  int ran = 0;
  while (count > 0) {
    struct handler h = handlers[--count];
    h.fn(h.arg);
    ran++;
  }
  free(handlers);
  handlers = 0;
  capacity = 0;
  return ran;
}

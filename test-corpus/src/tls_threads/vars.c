/* Thread-locals defined in one object, used from another (tls_threads/main.c). */
__thread int tt_counter = 7;
__thread char tt_name[16] = "init";
__thread long tt_zero[8];
static __thread int tt_local = 100;

int tt_bump_local(int by) {
  tt_local += by;
  return tt_local;
}

int *tt_counter_address(void) { return &tt_counter; }

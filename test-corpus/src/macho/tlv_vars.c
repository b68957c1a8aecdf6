/* Thread-local variables defined in one object and used from another (tlv_main.c). */
_Thread_local int tlv_counter = 7;
_Thread_local char tlv_name[16] = "init";
_Thread_local long tlv_zero[8];
static _Thread_local int tlv_local = 100;

int tlv_bump_local(int by) {
  tlv_local += by;
  return tlv_local;
}

int *tlv_counter_address(void) { return &tlv_counter; }

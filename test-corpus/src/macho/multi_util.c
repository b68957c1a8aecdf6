int counter = 100;
const char *greeting = "multi:";
int shared_common;

__attribute__((visibility("hidden"))) int hidden_step = 3;

int bump(int by) {
  counter += by * hidden_step;
  return counter;
}

__attribute__((weak)) int weak_value(void) { return 7; }

int classify(int x) {
  switch (x) {
  case 0: return 11;
  case 1: return 23;
  case 2: return 37;
  case 3: return 41;
  case 4: return 59;
  case 5: return 61;
  default: return -x;
  }
}

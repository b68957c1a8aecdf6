/* Gives the host's qsort a COFF comparison function, which the host would
   call with its own calling convention: the link is refused. */
typedef unsigned long long size_t;
void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *));

static int by_value(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(void) {
  int values[] = {3, 1, 2};
  qsort(values, 3, sizeof values[0], by_value);
  return values[0];
}

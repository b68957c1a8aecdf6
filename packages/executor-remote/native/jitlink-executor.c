/*
 * jitlink-executor: runs JIT-linked code for a controller in another process.
 *
 * Speaks ORC's simple remote EPC protocol as LLVM 19 does (see
 * docs/executor-protocol.md), so it serves both jitlink's controller and
 * llvm-jitlink-19 --oop-executor. Portable C99 + POSIX; no C++, no LLVM.
 *
 *   jitlink-executor filedescs=<in>,<out>     messages on two inherited descriptors
 *   jitlink-executor listen=[<host>]:<port>   one TCP connection (host default 127.0.0.1)
 *
 * With JITLINK_EXECUTOR_SECRET (or JITLINK_EXECUTOR_SECRET_FILE naming a file)
 * set, the controller must answer a challenge (HMAC-SHA256 over a fresh nonce)
 * within JITLINK_EXECUTOR_CHALLENGE_TIMEOUT seconds (default 30) before the
 * setup message is sent; otherwise the connection is dropped.
 *
 * Every message is checked: sizes, counts, that each address written lies in
 * a reservation, and that a tag names one of this program's functions. Code
 * pages are never writable and executable at once.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"

#if defined(__x86_64__)
#define TRIPLE "x86_64-unknown-linux-gnu"
#elif defined(__aarch64__)
#define TRIPLE "aarch64-unknown-linux-gnu"
#else
#error "jitlink-executor supports x86-64 and AArch64"
#endif

enum { OP_SETUP = 0, OP_HANGUP = 1, OP_RESULT = 2, OP_CALL_WRAPPER = 3 };
#define HEADER_SIZE 32
#define DEFAULT_MAX_MESSAGE (1ull << 30)

static int in_fd = -1, out_fd = -1;
static uint64_t max_message = DEFAULT_MAX_MESSAGE;
static size_t page_size;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  /* Through descriptor 2, never the stderr object: referencing it would copy it
     into this executable, far from the libraries JIT'd code is linked against. */
  dprintf(2, "jitlink-executor: error: ");
  vdprintf(2, fmt, ap);
  dprintf(2, "\n");
  va_end(ap);
  exit(1);
}

/* ---- byte buffers and SPS ---------------------------------------------- */

typedef struct {
  char *data;
  size_t len, cap;
} buf_t;

static void buf_reserve(buf_t *b, size_t n) {
  if (b->len + n <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + n)
    cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p)
    die("out of memory");
  b->data = p;
  b->cap = cap;
}
static void put_bytes(buf_t *b, const void *p, size_t n) {
  buf_reserve(b, n);
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
}
static void put_u8(buf_t *b, uint8_t v) { put_bytes(b, &v, 1); }
static void put_u64(buf_t *b, uint64_t v) {
  unsigned char le[8];
  for (int i = 0; i < 8; i++)
    le[i] = (unsigned char)(v >> (8 * i));
  put_bytes(b, le, 8);
}
static void put_i32(buf_t *b, int32_t v) {
  uint32_t u = (uint32_t)v;
  unsigned char le[4];
  for (int i = 0; i < 4; i++)
    le[i] = (unsigned char)(u >> (8 * i));
  put_bytes(b, le, 4);
}
static void put_str(buf_t *b, const char *s, size_t n) {
  put_u64(b, n);
  put_bytes(b, s, n);
}
static void put_cstr(buf_t *b, const char *s) { put_str(b, s, strlen(s)); }
/* SPSError / the error arm of SPSExpected. */
static void put_error(buf_t *b, const char *msg) {
  put_u8(b, msg ? 1 : 0);
  if (msg)
    put_cstr(b, msg);
}
static void put_expected_error(buf_t *b, const char *msg) {
  put_u8(b, 0);
  put_cstr(b, msg);
}

/* A reader that fails (ok = 0) instead of reading past its end. */
typedef struct {
  const unsigned char *p;
  size_t len, pos;
  int ok;
} rd_t;

static uint64_t get_u64(rd_t *r) {
  if (!r->ok || r->len - r->pos < 8) {
    r->ok = 0;
    return 0;
  }
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | r->p[r->pos + i];
  r->pos += 8;
  return v;
}
static uint8_t get_u8(rd_t *r) {
  if (!r->ok || r->len - r->pos < 1) {
    r->ok = 0;
    return 0;
  }
  return r->p[r->pos++];
}
static int get_bool(rd_t *r) {
  uint8_t v = get_u8(r);
  if (v > 1)
    r->ok = 0;
  return v;
}
static int32_t get_i32(rd_t *r) {
  if (!r->ok || r->len - r->pos < 4) {
    r->ok = 0;
    return 0;
  }
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--)
    v = (v << 8) | r->p[r->pos + i];
  r->pos += 4;
  return (int32_t)v;
}
/* A count of elements of at least `min_size` bytes each, checked against what is left. */
static uint64_t get_count(rd_t *r, size_t min_size) {
  uint64_t n = get_u64(r);
  if (r->ok && min_size && n > (r->len - r->pos) / min_size)
    r->ok = 0;
  return r->ok ? n : 0;
}
static const char *get_bytes(rd_t *r, uint64_t *n) {
  *n = get_count(r, 1);
  if (!r->ok)
    return NULL;
  const char *p = (const char *)r->p + r->pos;
  r->pos += *n;
  return p;
}
static int at_end(rd_t *r) { return r->ok && r->pos == r->len; }

/* ---- transport --------------------------------------------------------- */

static int read_full(void *dst, size_t n, int eof_ok) {
  size_t done = 0;
  while (done < n) {
    ssize_t got = read(in_fd, (char *)dst + done, n - done);
    if (got == 0) {
      if (done == 0 && eof_ok)
        return 0;
      die("unexpected end of stream");
    }
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      die("read: %s", strerror(errno));
    }
    done += (size_t)got;
  }
  return 1;
}

static void write_full(const void *src, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t put = write(out_fd, (const char *)src + done, n - done);
    if (put < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      die("write: %s", strerror(errno));
    }
    done += (size_t)put;
  }
}

/* Messages go out whole: main runs on a thread of its own and answers from there. */
static pthread_mutex_t send_lock = PTHREAD_MUTEX_INITIALIZER;

static void send_message(uint64_t opcode, uint64_t seq, uint64_t tag, const buf_t *body) {
  pthread_mutex_lock(&send_lock);
  buf_t h = {0};
  put_u64(&h, HEADER_SIZE + (body ? body->len : 0));
  put_u64(&h, opcode);
  put_u64(&h, seq);
  put_u64(&h, tag);
  write_full(h.data, h.len);
  if (body && body->len)
    write_full(body->data, body->len);
  free(h.data);
  pthread_mutex_unlock(&send_lock);
}

static void hangup_with_error(const char *why) {
  buf_t b = {0};
  put_error(&b, why);
  send_message(OP_HANGUP, 0, 0, &b);
  free(b.data);
  dprintf(2, "jitlink-executor: error: %s\n", why);
  exit(1);
}

/* ---- memory: reservations ---------------------------------------------- */

typedef struct {
  uint64_t fn;
  char *arg;
  uint64_t arg_size;
} call_t;

/* A finalized segment's pages and their protection. */
typedef struct {
  uint64_t start, end;
  int prot;
} span_t;

typedef struct {
  uintptr_t base;
  size_t size;
  int shm; /* number in the name of a shared memory object, else -1 */
  int finalized;
  call_t *deallocs;
  size_t ndeallocs;
  int reserved_prot; /* of pages no finalized segment covers: read-write (copied), none (shared) */
  span_t *spans;     /* sorted, disjoint */
  size_t nspans;
} reservation_t;

static reservation_t *reservations;
static size_t nreservations, capreservations;

static reservation_t *find_reservation(uintptr_t base) {
  for (size_t i = 0; i < nreservations; i++)
    if (reservations[i].base == base)
      return &reservations[i];
  return NULL;
}

/* The live reservation that [addr, addr + size) lies inside, or NULL. */
static reservation_t *reservation_holding(uint64_t addr, uint64_t size) {
  for (size_t i = 0; i < nreservations; i++) {
    uint64_t b = reservations[i].base, s = reservations[i].size;
    if (addr >= b && addr - b <= s && size <= s - (addr - b))
      return &reservations[i];
  }
  return NULL;
}

/* True when every byte of [addr, addr + size) lies in one reservation, on pages whose
   protection, as this executor set it, includes `want` (PROT_READ, PROT_WRITE, PROT_EXEC). */
static int reserved_with(uint64_t addr, uint64_t size, int want) {
  reservation_t *res = reservation_holding(addr, size);
  if (!res)
    return 0;
  uint64_t at = addr, end = addr + size;
  size_t i = 0;
  while (i < res->nspans && res->spans[i].end <= at)
    i++;
  while (at < end) {
    int prot;
    uint64_t next;
    if (i < res->nspans && res->spans[i].start <= at) {
      prot = res->spans[i].prot;
      next = res->spans[i++].end;
    } else {
      prot = res->reserved_prot;
      next = i < res->nspans ? res->spans[i].start : end;
    }
    if ((prot & want) != want)
      return 0;
    at = next < end ? next : end;
  }
  return 1;
}

/* The C ABI of an LLVM wrapper function: result bytes inline up to 8, else on the heap. */
typedef struct {
  union {
    char *ptr;
    char inline_bytes[sizeof(char *)];
  } data;
  size_t size;
} wrapper_result_t;
typedef wrapper_result_t (*wrapper_fn_t)(const char *arg, size_t size);

static int dispatch_local(uint64_t tag, rd_t *args, buf_t *out);
static void forget_eh_frames(uint64_t base, uint64_t size);
static int is_action_function(uint64_t fn);
static wrapper_fn_t exported_wrapper(uint64_t fn);

/* Runs one allocation-action call; returns NULL or a malloc'd error message. */
static char *run_action(const call_t *c) {
  buf_t out = {0};
  rd_t r = {(const unsigned char *)c->arg, c->arg_size, 0, 1};
  rd_t res;
  wrapper_result_t wr;
  if (!is_action_function(c->fn)) {
    char msg[160];
    snprintf(msg, sizeof msg, "allocation action calls 0x%llx, which is not one of this executor's allocation-action functions",
             (unsigned long long)c->fn);
    return strdup(msg);
  }
  int own = dispatch_local(c->fn, &r, &out);
  if (own < 0) {
    free(out.data);
    return strdup("malformed arguments to an allocation action");
  }
  if (own) {
    res = (rd_t){(const unsigned char *)out.data, out.len, 0, 1};
  } else {
    wr = exported_wrapper(c->fn)(c->arg, c->arg_size);
    if (wr.size == 0 && wr.data.ptr)
      return wr.data.ptr; /* out-of-band error: a C string */
    const char *bytes = wr.size <= sizeof(wr.data.inline_bytes) ? wr.data.inline_bytes : wr.data.ptr;
    put_bytes(&out, bytes, wr.size);
    if (wr.size > sizeof(wr.data.inline_bytes))
      free(wr.data.ptr);
    res = (rd_t){(const unsigned char *)out.data, out.len, 0, 1};
  }
  /* The result is an SPSError. */
  char *err = NULL;
  if (get_bool(&res)) {
    uint64_t n;
    const char *m = get_bytes(&res, &n);
    err = res.ok ? strndup(m, n) : strdup("malformed error from an allocation action");
  } else if (!at_end(&res)) {
    err = strdup("malformed result from an allocation action");
  }
  free(out.data);
  return err;
}

static void free_calls(call_t *calls, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(calls[i].arg);
  free(calls);
}

/* Runs dealloc actions in reverse; returns the first error (malloc'd) or NULL. */
static char *run_deallocs(reservation_t *res) {
  char *first = NULL;
  for (size_t i = res->ndeallocs; i-- > 0;) {
    char *e = run_action(&res->deallocs[i]);
    if (e && !first)
      first = e;
    else
      free(e);
  }
  free_calls(res->deallocs, res->ndeallocs);
  res->deallocs = NULL;
  res->ndeallocs = 0;
  return first;
}

/* low: the reservation must end below 2 GiB (code with absolute 32-bit addresses, -fno-pic). */
static void reserve(rd_t *r, buf_t *out, int low) {
  get_u64(r); /* instance */
  uint64_t size = get_u64(r);
  if (!at_end(r))
    return;
  if (size == 0 || size > (1ull << 40) || size % page_size) {
    put_expected_error(out, "reserve: size is zero, too large, or not a multiple of the page size");
    return;
  }
  int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_32BIT
  if (low)
    flags |= MAP_32BIT; /* x86-64: the first 2 GiB */
#endif
  void *p = mmap(low ? (void *)(uintptr_t)0x10000000 : NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (p == MAP_FAILED) {
    put_expected_error(out, strerror(errno));
    return;
  }
  if (low && (uint64_t)(uintptr_t)p + size > 0x80000000ull) {
    munmap(p, size);
    put_expected_error(out, "reserve: no free memory below 2 GiB");
    return;
  }
  if (nreservations == capreservations) {
    capreservations = capreservations ? capreservations * 2 : 16;
    reservations = realloc(reservations, capreservations * sizeof *reservations);
    if (!reservations)
      die("out of memory");
  }
  reservations[nreservations++] = (reservation_t){(uintptr_t)p, size, -1, 0, NULL, 0, PROT_READ | PROT_WRITE, NULL, 0};
  put_u8(out, 1);
  put_u64(out, (uint64_t)(uintptr_t)p);
}
static void w_reserve(rd_t *r, buf_t *out) { reserve(r, out, 0); }
static void w_reserve_low(rd_t *r, buf_t *out) { reserve(r, out, 1); }

static int read_call(rd_t *r, call_t *c) {
  c->fn = get_u64(r);
  uint64_t n;
  const char *a = get_bytes(r, &n);
  if (!r->ok)
    return 0;
  c->arg = malloc(n ? n : 1);
  if (!c->arg)
    die("out of memory");
  memcpy(c->arg, a, n);
  c->arg_size = n;
  return 1;
}

static int prot_of(uint8_t group) {
  return ((group & 1) ? PROT_READ : 0) | ((group & 2) ? PROT_WRITE : 0) | ((group & 4) ? PROT_EXEC : 0);
}

/* Shared by the copying finalize and the shared-memory initialize: checks segments, then runs actions. */
typedef struct {
  uint8_t group;
  uint64_t addr, size;
  const char *content;
  uint64_t content_size;
} segment_t;

static int by_address(const void *a, const void *b) {
  uint64_t x = ((const segment_t *)a)->addr, y = ((const segment_t *)b)->addr;
  return x < y ? -1 : x > y;
}

static uint64_t page_span(uint64_t size) { return (size + page_size - 1) / page_size * page_size; }

static const char *apply_segments(reservation_t *res, segment_t *segs, uint64_t nsegs, int copy) {
  /* In address order, so that overlaps show as neighbours: each page gets one protection,
     which memory writes and eh-frame registration are checked against. */
  qsort(segs, (size_t)nsegs, sizeof *segs, by_address);
  for (uint64_t i = 0; i < nsegs; i++) {
    segment_t *s = &segs[i];
    if (s->addr < res->base || s->addr - res->base > res->size || s->size > res->size - (s->addr - res->base))
      return "segment lies outside its reservation";
    if (s->addr % page_size)
      return "segment is not page aligned";
    if (s->content_size > s->size)
      return "segment content exceeds the segment size";
    if ((s->group & 2) && (s->group & 4))
      return "segment would be writable and executable at once";
    if (i > 0 && segs[i - 1].addr + page_span(segs[i - 1].size) > s->addr)
      return "segments overlap";
  }
  span_t *spans = calloc(nsegs ? nsegs : 1, sizeof *spans);
  if (!spans)
    die("out of memory");
  for (uint64_t i = 0; i < nsegs; i++)
    spans[i] = (span_t){segs[i].addr, segs[i].addr + page_span(segs[i].size), prot_of(segs[i].group)};
  free(res->spans);
  res->spans = spans;
  res->nspans = nsegs;
  for (uint64_t i = 0; i < nsegs; i++) {
    segment_t *s = &segs[i];
    char *dst = (char *)(uintptr_t)s->addr;
    size_t span = (size_t)page_span(s->size);
    if (copy) {
      if (mprotect(dst, span, PROT_READ | PROT_WRITE))
        return "mprotect failed";
      memcpy(dst, s->content, s->content_size);
      memset(dst + s->content_size, 0, s->size - s->content_size);
    }
    if (mprotect(dst, span, prot_of(s->group)))
      return "mprotect failed";
    if (s->group & 4)
      __builtin___clear_cache(dst, dst + s->size);
  }
  return NULL;
}

/* Parses segments (with content when `copy`) and actions, applies and runs them. */
static void finalize_request(rd_t *r, buf_t *out, int copy, int expected_result) {
  uint64_t nsegs = get_count(r, copy ? 25 : 17);
  segment_t *segs = calloc(nsegs ? nsegs : 1, sizeof *segs);
  call_t *fins = NULL, *deallocs = NULL;
  uint64_t nacts = 0, ndeallocs = 0;
  if (!segs)
    die("out of memory");
  for (uint64_t i = 0; i < nsegs && r->ok; i++) {
    segs[i].group = get_u8(r);
    segs[i].addr = get_u64(r);
    segs[i].size = get_u64(r);
    if (copy)
      segs[i].content = get_bytes(r, &segs[i].content_size);
  }
  nacts = get_count(r, 32);
  fins = calloc(nacts ? nacts : 1, sizeof *fins);
  deallocs = calloc(nacts ? nacts : 1, sizeof *deallocs);
  if (!fins || !deallocs)
    die("out of memory");
  for (uint64_t i = 0; i < nacts && r->ok; i++) {
    if (!read_call(r, &fins[i]))
      break;
    call_t d;
    if (!read_call(r, &d))
      break;
    if (d.fn)
      deallocs[ndeallocs++] = d;
    else
      free(d.arg);
  }
  if (!at_end(r)) {
    free(segs);
    free_calls(fins, nacts);
    free_calls(deallocs, ndeallocs);
    return; /* the caller reports the malformed message */
  }
  const char *err = NULL;
  uint64_t base = UINT64_MAX;
  for (uint64_t i = 0; i < nsegs; i++)
    if (segs[i].addr < base)
      base = segs[i].addr;
  reservation_t *res = nsegs ? find_reservation((uintptr_t)base) : NULL;
  if (!res)
    err = "finalize of an unknown allocation";
  else if (res->finalized)
    err = "allocation finalized twice";
  if (!err)
    err = apply_segments(res, segs, nsegs, copy);
  char *action_err = NULL;
  if (!err) {
    uint64_t done = 0;
    for (; done < nacts; done++)
      if ((action_err = run_action(&fins[done])))
        break;
    if (action_err) {
      /* Undo the actions that ran, in reverse. */
      for (uint64_t i = ndeallocs; i-- > 0;)
        free(run_action(&deallocs[i]));
      err = action_err;
    } else {
      res->finalized = 1;
      res->deallocs = deallocs;
      res->ndeallocs = ndeallocs;
      deallocs = NULL;
      ndeallocs = 0;
    }
  }
  if (expected_result) {
    if (err)
      put_expected_error(out, err);
    else {
      put_u8(out, 1);
      put_u64(out, base);
    }
  } else {
    put_error(out, err);
  }
  free(action_err);
  free(segs);
  free_calls(fins, nacts);
  free_calls(deallocs, ndeallocs);
}

static void w_finalize(rd_t *r, buf_t *out) {
  get_u64(r); /* instance */
  finalize_request(r, out, 1, 0);
}

static const char *release(uint64_t base) {
  reservation_t *res = find_reservation((uintptr_t)base);
  if (!res)
    return "deallocate of an unknown allocation";
  char *e = run_deallocs(res);
  forget_eh_frames(res->base, res->size);
  munmap((void *)res->base, res->size);
  free(res->spans);
  if (res->shm >= 0) {
    char name[64];
    snprintf(name, sizeof name, "/jitlink-executor-%ld-%d", (long)getpid(), res->shm);
    shm_unlink(name);
  }
  *res = reservations[--nreservations];
  if (e) {
    static char msg[512];
    snprintf(msg, sizeof msg, "%s", e);
    free(e);
    return msg;
  }
  return NULL;
}

static void w_deallocate(rd_t *r, buf_t *out) {
  get_u64(r); /* instance */
  uint64_t n = get_count(r, 8);
  const char *err = NULL;
  size_t start = r->pos;
  for (uint64_t i = 0; i < n; i++)
    get_u64(r);
  if (!at_end(r))
    return;
  r->pos = start;
  for (uint64_t i = 0; i < n; i++) {
    const char *e = release(get_u64(r));
    if (e && !err)
      err = e;
  }
  put_error(out, err);
}

/* ---- shared memory: the controller's memfd, mapped here ---------------- */

static void w_shm_reserve(rd_t *r, buf_t *out) {
  get_u64(r); /* instance */
  uint64_t size = get_u64(r);
  if (!at_end(r))
    return;
  if (size == 0 || size > (1ull << 40) || size % page_size) {
    put_expected_error(out, "reserve: size is zero, too large, or not a multiple of the page size");
    return;
  }
  /* A POSIX shared memory object, as LLVM's executor makes: the controller
     maps it by name (shm_open, or /dev/shm/<name>) until it is released. */
  static unsigned counter;
  char name[64];
  int fd = -1;
  /* A name an earlier process of the same pid left (killed before it could remove it) is skipped. */
  for (int tries = 0; tries < 64; tries++) {
    snprintf(name, sizeof name, "/jitlink-executor-%ld-%u", (long)getpid(), counter++);
    fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd >= 0 || errno != EEXIST)
      break;
  }
  if (fd < 0 || ftruncate(fd, (off_t)size)) {
    put_expected_error(out, strerror(errno));
    if (fd >= 0) {
      close(fd);
      shm_unlink(name);
    }
    return;
  }
  void *p = mmap(NULL, size, PROT_NONE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) {
    put_expected_error(out, strerror(errno));
    shm_unlink(name);
    return;
  }
  if (nreservations == capreservations) {
    capreservations = capreservations ? capreservations * 2 : 16;
    reservations = realloc(reservations, capreservations * sizeof *reservations);
    if (!reservations)
      die("out of memory");
  }
  reservations[nreservations++] = (reservation_t){(uintptr_t)p, size, counter - 1, 0, NULL, 0, PROT_NONE, NULL, 0};
  put_u8(out, 1);
  put_u64(out, (uint64_t)(uintptr_t)p);
  put_cstr(out, name);
}

static void w_shm_initialize(rd_t *r, buf_t *out) {
  get_u64(r); /* instance */
  get_u64(r); /* reservation */
  finalize_request(r, out, 0, 1);
}

static void w_shm_release(rd_t *r, buf_t *out) { w_deallocate(r, out); }

static void w_shm_deinitialize(rd_t *r, buf_t *out) {
  get_u64(r); /* instance */
  uint64_t n = get_count(r, 8);
  const char *err = NULL;
  size_t start = r->pos;
  for (uint64_t i = 0; i < n; i++)
    get_u64(r);
  if (!at_end(r))
    return;
  r->pos = start;
  for (uint64_t i = 0; i < n; i++) {
    reservation_t *res = find_reservation((uintptr_t)get_u64(r));
    if (!res) {
      err = "deinitialize of an unknown allocation";
      continue;
    }
    char *e = run_deallocs(res);
    res->finalized = 0;
    /* Back to reserved: no access, until initialized again. */
    forget_eh_frames(res->base, res->size);
    mprotect((void *)res->base, res->size, PROT_NONE);
    free(res->spans);
    res->spans = NULL;
    res->nspans = 0;
    if (e) {
      static char msg[512];
      snprintf(msg, sizeof msg, "%s", e);
      free(e);
      err = msg;
    }
  }
  put_error(out, err);
}

/* ---- memory writes ----------------------------------------------------- */

static void write_uints(rd_t *r, buf_t *out, size_t width) {
  (void)out;
  uint64_t n = get_count(r, 8 + width);
  size_t start = r->pos;
  for (uint64_t i = 0; i < n && r->ok; i++) {
    uint64_t a = get_u64(r);
    for (size_t k = 0; k < width; k++)
      get_u8(r);
    if (r->ok && !reserved_with(a, width, PROT_WRITE))
      hangup_with_error("memory write outside every reservation, or to memory that is not writable");
  }
  if (!at_end(r))
    return;
  r->pos = start;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t a = get_u64(r);
    if (width == 8 && a % 8 == 0) {
      /* Aligned pointer stores are single stores that running threads see
         whole: redirectable calls are re-pointed this way while code runs. */
      uint64_t v;
      memcpy(&v, r->p + r->pos, 8);
      __atomic_store_n((uint64_t *)(uintptr_t)a, v, __ATOMIC_RELEASE);
    } else {
      memcpy((void *)(uintptr_t)a, r->p + r->pos, width);
    }
    r->pos += width;
  }
}
static void w_write8(rd_t *r, buf_t *o) { write_uints(r, o, 1); }
static void w_write16(rd_t *r, buf_t *o) { write_uints(r, o, 2); }
static void w_write32(rd_t *r, buf_t *o) { write_uints(r, o, 4); }
static void w_write64(rd_t *r, buf_t *o) { write_uints(r, o, 8); }

static void w_write_buffers(rd_t *r, buf_t *out) {
  (void)out;
  uint64_t n = get_count(r, 16);
  size_t start = r->pos;
  for (uint64_t i = 0; i < n && r->ok; i++) {
    uint64_t a = get_u64(r), len;
    get_bytes(r, &len);
    if (r->ok && !reserved_with(a, len, PROT_WRITE))
      hangup_with_error("memory write outside every reservation, or to memory that is not writable");
  }
  if (!at_end(r))
    return;
  r->pos = start;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t a = get_u64(r), len;
    const char *p = get_bytes(r, &len);
    memcpy((void *)(uintptr_t)a, p, len);
  }
}

/* ---- dylibs ------------------------------------------------------------ */

static void **handles;
static size_t nhandles;

static void w_dylib_open(rd_t *r, buf_t *out) {
  get_u64(r); /* instance */
  uint64_t n;
  const char *path = get_bytes(r, &n);
  get_u64(r); /* mode */
  if (!at_end(r))
    return;
  char *p = strndup(path, n);
  void *h = dlopen(n ? p : NULL, RTLD_NOW | RTLD_GLOBAL);
  free(p);
  if (!h) {
    put_expected_error(out, dlerror());
    return;
  }
  handles = realloc(handles, (nhandles + 1) * sizeof *handles);
  if (!handles)
    die("out of memory");
  handles[nhandles++] = h;
  put_u8(out, 1);
  put_u64(out, (uint64_t)(uintptr_t)h);
}

static void w_dylib_lookup(rd_t *r, buf_t *out) {
  get_u64(r); /* instance */
  uint64_t handle = get_u64(r);
  uint64_t n = get_count(r, 9);
  size_t start = r->pos;
  for (uint64_t i = 0; i < n && r->ok; i++) {
    uint64_t len;
    get_bytes(r, &len);
    get_bool(r);
  }
  if (!at_end(r))
    return;
  void *h = NULL;
  for (size_t i = 0; i < nhandles; i++)
    if ((uint64_t)(uintptr_t)handles[i] == handle)
      h = handles[i];
  if (!h) {
    put_expected_error(out, "lookup in an unknown dylib handle");
    return;
  }
  buf_t results = {0};
  r->pos = start;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t len;
    const char *name = get_bytes(r, &len);
    int required = get_bool(r);
    char *z = strndup(name, len);
    void *a = dlsym(h, z);
    if (!a && required) {
      char msg[600];
      snprintf(msg, sizeof msg, "Missing definition for %.500s", z);
      free(z);
      free(results.data);
      put_expected_error(out, msg);
      return;
    }
    free(z);
    put_u64(&results, (uint64_t)(uintptr_t)a);
    put_u8(&results, 0x10); /* exported */
    put_u8(&results, 0);
  }
  put_u8(out, 1);
  put_u64(out, n);
  put_bytes(out, results.data, results.len);
  free(results.data);
}

/* ---- running code ------------------------------------------------------ */

/* Code a controller may ask to run: anywhere in an executable segment of a finalized
   reservation (linked code), or where a function of a loaded object starts (what a
   lookup gives, e.g. fflush), never inside one or in data. */
static int in_loaded_code(struct dl_phdr_info *info, size_t size, void *data) {
  uint64_t addr = *(const uint64_t *)data;
  (void)size;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uint64_t start = (uint64_t)info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && addr >= start && addr - start < ph->p_memsz)
      return 1;
  }
  return 0;
}

static int is_code(uint64_t fn) {
  if (reserved_with(fn, 1, PROT_EXEC))
    return 1;
  Dl_info info;
  return dladdr((void *)(uintptr_t)fn, &info) && info.dli_saddr == (void *)(uintptr_t)fn && dl_iterate_phdr(in_loaded_code, &fn);
}

static void refuse_run(uint64_t fn) {
  char msg[200];
  snprintf(msg, sizeof msg, "run of 0x%llx, which is not code (in an executable segment of a finalized allocation, or a library function)",
           (unsigned long long)fn);
  hangup_with_error(msg);
}

static void w_run_as_main(rd_t *r, buf_t *out) {
  uint64_t fn = get_u64(r);
  uint64_t n = get_count(r, 8);
  char **argv = calloc(n + 1, sizeof *argv);
  if (!argv)
    die("out of memory");
  for (uint64_t i = 0; i < n && r->ok; i++) {
    uint64_t len;
    const char *s = get_bytes(r, &len);
    if (r->ok)
      argv[i] = strndup(s, len);
  }
  if (at_end(r) && fn) {
    int rc = ((int (*)(int, char **))(uintptr_t)fn)((int)n, argv);
    /* The program's output is out once main returns: a controller may end this process right after. */
    fflush(NULL);
    put_u64(out, (uint64_t)(int64_t)rc);
  }
  for (uint64_t i = 0; i < n; i++)
    free(argv[i]);
  free(argv);
}

static void w_run_void(rd_t *r, buf_t *out) {
  uint64_t fn = get_u64(r);
  if (!at_end(r) || !fn)
    return;
  if (!is_code(fn))
    refuse_run(fn);
  ((void (*)(void))(uintptr_t)fn)();
  put_i32(out, 0);
}

static void w_run_int(rd_t *r, buf_t *out) {
  uint64_t fn = get_u64(r);
  int32_t arg = get_i32(r);
  if (!at_end(r) || !fn)
    return;
  if (!is_code(fn))
    refuse_run(fn);
  put_i32(out, ((int (*)(int))(uintptr_t)fn)(arg));
}

/* ---- thread-local storage: a loader-owned TLS block per linked graph ---- */

/* The controller sends a small shared object whose only content is a PT_TLS
   segment (the graph's .tdata image and .tbss size) and one thread-pointer
   relocation against it, which makes the loader place it in static TLS. Loaded
   here with dlopen, the loader gives it a module id, copies the image into
   every thread's block (threads that already exist included), sets up new
   threads from it, and frees the copies with their thread or at dlclose. */

static void **tls_handles;
static size_t ntls_handles;

static uintptr_t thread_pointer(void) {
  uintptr_t tp;
#if defined(__x86_64__)
  __asm__ __volatile__("mov %%fs:0, %0" : "=r"(tp));
#else
  __asm__ __volatile__("mrs %0, tpidr_el0" : "=r"(tp));
#endif
  return tp;
}

/* Writes `image` to a fresh temporary file, loads it and removes the file; NULL on error (`why` set). */
static void *load_tls_image(const char *image, uint64_t size, char *why, size_t why_size) {
  const char *dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/jitlink-tls-XXXXXX", dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  if (fd < 0) {
    snprintf(why, why_size, "cannot create %.400s: %s", path, strerror(errno));
    return NULL;
  }
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, image + done, (size_t)(size - done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      snprintf(why, why_size, "cannot write %.400s: %s", path, strerror(errno));
      close(fd);
      unlink(path);
      return NULL;
    }
    done += (uint64_t)n;
  }
  close(fd);
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  unlink(path);
  if (!h)
    snprintf(why, why_size, "%s", dlerror());
  return h;
}

/* (sequence<uint8_t> shared object) -> Expected<tuple(handle, module id, offset from the thread pointer)> */
static void w_tls_load(rd_t *r, buf_t *out) {
  uint64_t size;
  const char *image = get_bytes(r, &size);
  if (!at_end(r))
    return;
  if (size < 64 || memcmp(image, "\177ELF", 4) != 0) {
    put_expected_error(out, "thread-local storage module: not an ELF shared object");
    return;
  }
  char why[600];
  void *h = load_tls_image(image, size, why, sizeof why);
  if (!h) {
    char msg[700];
    snprintf(msg, sizeof msg, "thread-local storage module could not be loaded: %.600s", why);
    put_expected_error(out, msg);
    return;
  }
  size_t module_id = 0;
  void *block = NULL;
  /* __tls_get_addr({id, 0}) brings this thread's DTV up to date (dlinfo's RTLD_DI_TLS_DATA does not)
     and gives its copy of the block. Versioned in the dynamic loader: reached through dlsym. */
  void *(*tls_get_addr)(size_t *) = (void *(*)(size_t *))dlsym(RTLD_DEFAULT, "__tls_get_addr");
  if (dlinfo(h, RTLD_DI_TLS_MODID, &module_id) == 0 && module_id != 0 && tls_get_addr) {
    size_t index[2] = {module_id, 0};
    block = tls_get_addr(index);
  }
  if (!block) {
    dlclose(h);
    put_expected_error(out, "thread-local storage module got no module id or no block");
    return;
  }
  tls_handles = realloc(tls_handles, (ntls_handles + 1) * sizeof *tls_handles);
  if (!tls_handles)
    die("out of memory");
  tls_handles[ntls_handles++] = h;
  put_u8(out, 1);
  put_u64(out, (uint64_t)(uintptr_t)h);
  put_u64(out, (uint64_t)module_id);
  /* The same in every thread: static TLS lies at a fixed offset from each thread's pointer. */
  put_u64(out, (uint64_t)((uintptr_t)block - thread_pointer()));
}

/* Thread-local variables of the executor's libraries: where an address (this thread's copy) lies. */
typedef struct {
  uint64_t addr, module_id, block_offset;
  uintptr_t block;
} tls_query_t;

static int find_tls_block(struct dl_phdr_info *info, size_t size, void *data) {
  tls_query_t *q = data;
  if (size < sizeof *info || !info->dlpi_tls_modid || !info->dlpi_tls_data)
    return 0;
  uintptr_t start = (uintptr_t)info->dlpi_tls_data;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_TLS && q->addr >= start && q->addr - start < (ph->p_memsz ? ph->p_memsz : 1)) {
      q->module_id = info->dlpi_tls_modid;
      q->block_offset = q->addr - start;
      q->block = start;
      return 1;
    }
  }
  return 0;
}

/* (sequence<address>) -> sequence<tuple(module id (0: none), offset in the block, offset from the thread
   pointer, whether the block is in static TLS (else that offset is 0: the block differs per thread))>. */
static void w_tls_locate(rd_t *r, buf_t *out) {
  uint64_t n = get_count(r, 8);
  size_t start = r->pos;
  for (uint64_t i = 0; i < n; i++)
    get_u64(r);
  if (!at_end(r))
    return;
  r->pos = start;
  /* The static TLS area (glibc's, as sanitizers read it): a block inside it is at the same offset
     from every thread's pointer; a block of a library loaded later is in dynamic TLS. */
  void (*static_info)(size_t *, size_t *) = (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info");
  size_t static_size = 0, static_align = 0;
  if (static_info)
    static_info(&static_size, &static_align);
  uintptr_t tp = thread_pointer();
  put_u64(out, n);
  for (uint64_t i = 0; i < n; i++) {
    tls_query_t q = {get_u64(r), 0, 0, 0};
    dl_iterate_phdr(find_tls_block, &q);
#if defined(__x86_64__)
    int in_static = q.module_id && q.block < tp && tp - q.block <= static_size; /* variant II: below the TCB */
#else
    int in_static = q.module_id && q.block >= tp && q.block - tp < static_size; /* variant I: after it */
#endif
    put_u64(out, q.module_id);
    put_u64(out, q.block_offset);
    put_u64(out, in_static ? (uint64_t)(q.block - tp + q.block_offset) : 0);
    put_u8(out, (uint8_t)in_static);
  }
}

/* (handle) -> Error: dlcloses a module; the loader frees every thread's copy. */
static void w_tls_unload(rd_t *r, buf_t *out) {
  uint64_t handle = get_u64(r);
  if (!at_end(r))
    return;
  for (size_t i = 0; i < ntls_handles; i++) {
    if ((uint64_t)(uintptr_t)tls_handles[i] != handle)
      continue;
    void *h = tls_handles[i];
    tls_handles[i] = tls_handles[--ntls_handles];
    put_error(out, dlclose(h) ? dlerror() : NULL);
    return;
  }
  put_error(out, "unload of an unknown thread-local storage module");
}

/* ---- eh-frame registration (libgcc's unwinder) ------------------------- */

static void (*register_frame)(const void *);
static void (*deregister_frame)(const void *);

static int find_unwinder(void) {
  if (register_frame)
    return 1;
  void *h = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (!h)
    return 0;
  register_frame = (void (*)(const void *))dlsym(h, "__register_frame");
  deregister_frame = (void (*)(const void *))dlsym(h, "__deregister_frame");
  return register_frame && deregister_frame;
}

/* The eh-frames registered, by start address. libgcc registers nothing for a frame whose
   first word is 0 and skips deregistration when it reads 0 there; it aborts when asked to
   deregister a frame it does not hold, and reads a frame's memory until it is deregistered.
   So a frame is deregistered only if registered, with the first word it had then, and
   releasing memory deregisters the frames in it. */
typedef struct {
  uint64_t start;
  uint32_t word; /* first word when registered; 0: libgcc does not hold it */
} eh_frame_t;
static eh_frame_t *eh_frames;
static size_t neh_frames;

static ssize_t eh_frame_index(uint64_t start) {
  for (size_t i = 0; i < neh_frames; i++)
    if (eh_frames[i].start == start)
      return (ssize_t)i;
  return -1;
}

static uint32_t first_word(uint64_t start) {
  uint32_t w;
  memcpy(&w, (const void *)(uintptr_t)start, sizeof w);
  return w;
}

/* The protection this executor gave the page holding `addr` (in a reservation). */
static int prot_at(uint64_t addr) {
  reservation_t *res = reservation_holding(addr, 1);
  for (size_t i = 0; res && i < res->nspans; i++)
    if (addr >= res->spans[i].start && addr < res->spans[i].end)
      return res->spans[i].prot;
  return res ? res->reserved_prot : PROT_NONE;
}

/* Takes frame `i` out of libgcc (if it holds it) and out of the list. */
static void deregister_eh_frame(size_t i) {
  eh_frame_t f = eh_frames[i];
  eh_frames[i] = eh_frames[--neh_frames];
  if (!f.word)
    return;
  char *page = (char *)(uintptr_t)(f.start / page_size * page_size);
  size_t len = (size_t)(f.start + 4 - (uint64_t)(uintptr_t)page + page_size - 1) / page_size * page_size;
  int prot = prot_at(f.start) & prot_at(f.start + 3);
  int readable = prot & PROT_READ;
  uint32_t now = readable ? first_word(f.start) : 0;
  if (readable && now == f.word) {
    deregister_frame((const void *)(uintptr_t)f.start);
    return;
  }
  /* The controller changed or hid it: libgcc needs the first word it saw to let go. */
  if (mprotect(page, len, PROT_READ | PROT_WRITE))
    return;
  now = first_word(f.start);
  memcpy((void *)(uintptr_t)f.start, &f.word, 4);
  deregister_frame((const void *)(uintptr_t)f.start);
  memcpy((void *)(uintptr_t)f.start, &now, 4);
  mprotect(page, len, prot);
}

static void forget_eh_frames(uint64_t base, uint64_t size) {
  for (size_t i = neh_frames; i-- > 0;)
    if (eh_frames[i].start >= base && eh_frames[i].start - base < size)
      deregister_eh_frame(i);
}

static void eh_frame(rd_t *r, buf_t *out, int reg) {
  uint64_t start = get_u64(r), end = get_u64(r);
  if (!at_end(r))
    return;
  ssize_t known = eh_frame_index(start);
  if (end < start || end - start < 4 || !reserved_with(start, end - start, PROT_READ))
    put_error(out, "eh-frame range lies outside every reservation, or in memory that is not readable");
  else if (!find_unwinder())
    put_error(out, "no unwinder (libgcc_s.so.1) to register eh-frames with");
  else if (reg && known >= 0)
    put_error(out, "eh-frame registered twice");
  else if (!reg && known < 0)
    put_error(out, "deregistration of an eh-frame that is not registered");
  else if (reg) {
    uint32_t word = first_word(start);
    if (word)
      register_frame((const void *)(uintptr_t)start);
    eh_frames = realloc(eh_frames, (neh_frames + 1) * sizeof *eh_frames);
    if (!eh_frames)
      die("out of memory");
    eh_frames[neh_frames++] = (eh_frame_t){start, word};
    put_error(out, NULL);
  } else {
    deregister_eh_frame((size_t)known);
    put_error(out, NULL);
  }
}
static void w_register_eh(rd_t *r, buf_t *out) { eh_frame(r, out, 1); }
static void w_deregister_eh(rd_t *r, buf_t *out) { eh_frame(r, out, 0); }

/* ---- GDB JIT interface -------------------------------------------------
   Debuggers find __jit_debug_register_code and __jit_debug_descriptor in this
   program's symbol table (exported by -rdynamic too), break on the function
   and read the descriptor's list of in-memory object files. Controllers
   register a debug object (already in executor memory) with LLVM's wrappers,
   as a wrapper call or as an allocation action: SPSArgList<SPSExecutorAddrRange,
   bool auto_register>, returning an SPSError. Removing one is this executor's
   own addition (LLVM never removes them): the allocation's dealloc action
   jitlink_deregisterJITLoaderGDBAllocAction(SPSExecutorAddrRange). */

struct jit_code_entry {
  struct jit_code_entry *next_entry;
  struct jit_code_entry *prev_entry;
  const char *symfile_addr;
  uint64_t symfile_size;
};
struct jit_descriptor {
  uint32_t version;
  uint32_t action_flag; /* 0 no action, 1 register, 2 unregister */
  struct jit_code_entry *relevant_entry;
  struct jit_code_entry *first_entry;
};

/* Version 1 statically: a debugger checks it before this program writes anything. */
__attribute__((visibility("default"))) struct jit_descriptor __jit_debug_descriptor = {1, 0, NULL, NULL};

__attribute__((visibility("default"), noinline)) void __jit_debug_register_code(void);
__attribute__((visibility("default"), noinline)) void __jit_debug_register_code(void) {
  /* Kept as a call the debugger's breakpoint can catch. */
  __asm__ volatile("" ::: "memory");
}

static wrapper_result_t spserror_result(const char *msg) {
  wrapper_result_t r;
  if (!msg) {
    r.data.ptr = NULL;
    r.data.inline_bytes[0] = 0; /* SPSError: no error */
    r.size = 1;
    return r;
  }
  buf_t b = {0};
  put_error(&b, msg);
  r.size = b.len;
  if (b.len <= sizeof r.data.inline_bytes) {
    memcpy(r.data.inline_bytes, b.data, b.len);
    free(b.data);
  } else
    r.data.ptr = b.data;
  return r;
}

static wrapper_result_t out_of_band_error(const char *msg) {
  wrapper_result_t r;
  r.data.ptr = strdup(msg);
  r.size = 0;
  return r;
}

static wrapper_result_t register_jit_code(const char *data, size_t size) {
  rd_t r = {(const unsigned char *)data, size, 0, 1};
  uint64_t start = get_u64(&r), end = get_u64(&r);
  int auto_register = get_bool(&r);
  if (!at_end(&r) || end < start)
    return out_of_band_error("malformed arguments to llvm_orc_registerJITLoaderGDB");
  struct jit_code_entry *e = calloc(1, sizeof *e);
  if (!e)
    return spserror_result("no memory for a GDB JIT entry");
  e->symfile_addr = (const char *)(uintptr_t)start;
  e->symfile_size = end - start;
  e->next_entry = __jit_debug_descriptor.first_entry;
  if (e->next_entry)
    e->next_entry->prev_entry = e;
  __jit_debug_descriptor.first_entry = e;
  __jit_debug_descriptor.relevant_entry = e;
  __jit_debug_descriptor.action_flag = 1;
  if (auto_register)
    __jit_debug_register_code();
  return spserror_result(NULL);
}

wrapper_result_t llvm_orc_registerJITLoaderGDBWrapper(const char *data, size_t size);
wrapper_result_t llvm_orc_registerJITLoaderGDBWrapper(const char *data, size_t size) { return register_jit_code(data, size); }
wrapper_result_t llvm_orc_registerJITLoaderGDBAllocAction(const char *data, size_t size);
wrapper_result_t llvm_orc_registerJITLoaderGDBAllocAction(const char *data, size_t size) { return register_jit_code(data, size); }

wrapper_result_t jitlink_deregisterJITLoaderGDBAllocAction(const char *data, size_t size);
wrapper_result_t jitlink_deregisterJITLoaderGDBAllocAction(const char *data, size_t size) {
  rd_t r = {(const unsigned char *)data, size, 0, 1};
  uint64_t start = get_u64(&r), end = get_u64(&r);
  if (!at_end(&r) || end < start)
    return out_of_band_error("malformed arguments to jitlink_deregisterJITLoaderGDBAllocAction");
  struct jit_code_entry *e = __jit_debug_descriptor.first_entry;
  while (e && !(e->symfile_addr == (const char *)(uintptr_t)start && e->symfile_size == end - start))
    e = e->next_entry;
  if (!e)
    return spserror_result("no GDB JIT entry for that range");
  if (e->prev_entry)
    e->prev_entry->next_entry = e->next_entry;
  else
    __jit_debug_descriptor.first_entry = e->next_entry;
  if (e->next_entry)
    e->next_entry->prev_entry = e->prev_entry;
  __jit_debug_descriptor.relevant_entry = e;
  __jit_debug_descriptor.action_flag = 2;
  __jit_debug_register_code();
  /* The debugger read the entry during the call. */
  __jit_debug_descriptor.relevant_entry = NULL;
  __jit_debug_descriptor.action_flag = 0;
  free(e);
  return spserror_result(NULL);
}

/* JIT'd code calling back into the controller is not supported: an out-of-band error. */
static wrapper_result_t dispatch_fn(void *ctx, const void *tag, const char *data, size_t size) {
  (void)ctx;
  (void)tag;
  (void)data;
  (void)size;
  wrapper_result_t r;
  r.data.ptr = strdup("jitlink-executor does not call back into the controller");
  r.size = 0;
  return r;
}
static char dispatch_ctx;
static char memory_manager_instance, dylib_manager_instance, shm_instance;

/* ---- bootstrap symbols and dispatch ------------------------------------ */

typedef void (*handler_t)(rd_t *, buf_t *);
static const struct {
  const char *name;
  handler_t handler;
} wrappers[] = {
    {"__llvm_orc_SimpleExecutorMemoryManager_reserve_wrapper", w_reserve},
    {"__llvm_orc_SimpleExecutorMemoryManager_finalize_wrapper", w_finalize},
    {"__llvm_orc_SimpleExecutorMemoryManager_deallocate_wrapper", w_deallocate},
    {"__llvm_orc_ExecutorSharedMemoryMapperService_Reserve", w_shm_reserve},
    {"__llvm_orc_ExecutorSharedMemoryMapperService_Initialize", w_shm_initialize},
    {"__llvm_orc_ExecutorSharedMemoryMapperService_Deinitialize", w_shm_deinitialize},
    {"__llvm_orc_ExecutorSharedMemoryMapperService_Release", w_shm_release},
    {"__llvm_orc_SimpleExecutorDylibManager_open_wrapper", w_dylib_open},
    {"__llvm_orc_SimpleExecutorDylibManager_lookup_wrapper", w_dylib_lookup},
    {"__llvm_orc_bootstrap_mem_write_uint8s_wrapper", w_write8},
    {"__llvm_orc_bootstrap_mem_write_uint16s_wrapper", w_write16},
    {"__llvm_orc_bootstrap_mem_write_uint32s_wrapper", w_write32},
    {"__llvm_orc_bootstrap_mem_write_uint64s_wrapper", w_write64},
    {"__llvm_orc_bootstrap_mem_write_buffers_wrapper", w_write_buffers},
    {"__llvm_orc_bootstrap_run_as_main_wrapper", w_run_as_main},
    {"__llvm_orc_bootstrap_run_as_void_function_wrapper", w_run_void},
    {"__llvm_orc_bootstrap_run_as_int_function_wrapper", w_run_int},
    {"llvm_orc_registerEHFrameSectionWrapper", w_register_eh},
    {"llvm_orc_deregisterEHFrameSectionWrapper", w_deregister_eh},
    {"__jitlink_SimpleExecutorMemoryManager_reserveLow_wrapper", w_reserve_low},
    {"__jitlink_ExecutorTLSService_load_wrapper", w_tls_load},
    {"__jitlink_ExecutorTLSService_unload_wrapper", w_tls_unload},
    {"__jitlink_ExecutorTLSService_locate_wrapper", w_tls_locate},
};
#define NWRAPPERS (sizeof wrappers / sizeof wrappers[0])

/* A wrapper's tag is the address of its table entry's handler. */
static uint64_t tag_of(size_t i) { return (uint64_t)(uintptr_t)&wrappers[i]; }

/* 1: handled (out holds the result); 0: not one of ours; -1: ours, but the arguments were malformed. */
static int dispatch_local(uint64_t tag, rd_t *args, buf_t *out) {
  for (size_t i = 0; i < NWRAPPERS; i++) {
    if (tag != tag_of(i))
      continue;
    size_t before = out->len;
    wrappers[i].handler(args, out);
    if (!args->ok || args->pos != args->len)
      return out->len = before, -1;
    return 1;
  }
  return 0;
}

/* Wrapper functions controllers find by name (dlsym) and may call directly,
   as llvm-jitlink does with llvm_orc_registerJITLoaderGDBWrapper. 1: called
   (out holds the result); 0: not one of them; -1: it failed out of band. */
static const wrapper_fn_t exported[] = {
    llvm_orc_registerJITLoaderGDBWrapper,
    llvm_orc_registerJITLoaderGDBAllocAction,
    jitlink_deregisterJITLoaderGDBAllocAction,
};

static wrapper_fn_t exported_wrapper(uint64_t fn) {
  for (size_t i = 0; i < sizeof exported / sizeof exported[0]; i++)
    if (fn == (uint64_t)(uintptr_t)exported[i])
      return exported[i];
  return NULL;
}

/* Allocation actions may call the eh-frame services and the exported wrappers: never code at an
   address a message names, nor services that reserve, release or run (an action of a release
   releasing memory again). */
static int is_action_function(uint64_t fn) {
  for (size_t i = 0; i < NWRAPPERS; i++)
    if (fn == tag_of(i))
      return wrappers[i].handler == w_register_eh || wrappers[i].handler == w_deregister_eh;
  return exported_wrapper(fn) != NULL;
}

static int call_exported_wrapper(uint64_t tag, const unsigned char *data, size_t size, buf_t *out) {
  for (size_t i = 0; i < sizeof exported / sizeof exported[0]; i++) {
    if (tag != (uint64_t)(uintptr_t)exported[i])
      continue;
    wrapper_result_t wr = exported[i]((const char *)data, size);
    if (wr.size == 0 && wr.data.ptr) {
      free(wr.data.ptr);
      return -1;
    }
    const char *bytes = wr.size <= sizeof(wr.data.inline_bytes) ? wr.data.inline_bytes : wr.data.ptr;
    put_bytes(out, bytes, wr.size);
    if (wr.size > sizeof(wr.data.inline_bytes))
      free(wr.data.ptr);
    return 1;
  }
  return 0;
}

/*
 * A call to run-as-main runs on a thread of its own, so that this loop goes on
 * serving the controller while the program runs: a program that loops can
 * have code linked into it, and calls re-pointed, as it runs.
 */
typedef struct {
  uint64_t seq, tag;
  unsigned char *body;
  size_t body_len;
} main_call_t;

static void *run_main_call(void *p) {
  main_call_t *c = p;
  rd_t args = {c->body, c->body_len, 0, 1};
  buf_t out = {0};
  if (dispatch_local(c->tag, &args, &out) < 0)
    hangup_with_error("malformed arguments to a wrapper function");
  send_message(OP_RESULT, c->seq, 0, &out);
  free(out.data);
  free(c->body);
  free(c);
  return NULL;
}

/* Starts a run-as-main call on its own thread; returns 0 if `tag` is another wrapper. */
static int start_main_call(uint64_t seq, uint64_t tag, unsigned char *body, size_t body_len) {
  size_t i = 0;
  while (i < NWRAPPERS && wrappers[i].handler != w_run_as_main)
    i++;
  if (i == NWRAPPERS || tag != tag_of(i))
    return 0;
  if (body_len >= 8) {
    uint64_t fn = 0;
    for (int k = 7; k >= 0; k--)
      fn = (fn << 8) | body[k];
    if (fn && !is_code(fn))
      refuse_run(fn);
  }
  main_call_t *c = malloc(sizeof *c);
  if (!c)
    hangup_with_error("out of memory");
  *c = (main_call_t){seq, tag, body, body_len};
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  /* A program's main gets the stack size a process's main thread would. */
  pthread_attr_setstacksize(&attr, 8u << 20);
  if (pthread_create(&thread, &attr, run_main_call, c) != 0)
    hangup_with_error("cannot start a thread for main");
  pthread_attr_destroy(&attr);
  return 1;
}

static void send_setup(void) {
  buf_t b = {0};
  put_cstr(&b, TRIPLE);
  put_u64(&b, page_size);
  put_u64(&b, 0); /* bootstrap map */
  put_u64(&b, NWRAPPERS + 5);
  for (size_t i = 0; i < NWRAPPERS; i++) {
    put_cstr(&b, wrappers[i].name);
    put_u64(&b, tag_of(i));
  }
  put_cstr(&b, "__llvm_orc_SimpleExecutorMemoryManager_Instance");
  put_u64(&b, (uint64_t)(uintptr_t)&memory_manager_instance);
  put_cstr(&b, "__llvm_orc_SimpleExecutorDylibManager_Instance");
  put_u64(&b, (uint64_t)(uintptr_t)&dylib_manager_instance);
  put_cstr(&b, "__llvm_orc_ExecutorSharedMemoryMapperService_Instance");
  put_u64(&b, (uint64_t)(uintptr_t)&shm_instance);
  put_cstr(&b, "__llvm_orc_SimpleRemoteEPC_dispatch_ctx");
  put_u64(&b, (uint64_t)(uintptr_t)&dispatch_ctx);
  put_cstr(&b, "__llvm_orc_SimpleRemoteEPC_dispatch_fn");
  put_u64(&b, (uint64_t)(uintptr_t)&dispatch_fn);
  send_message(OP_SETUP, 0, 0, &b);
  free(b.data);
}

/* ---- shared-secret challenge ------------------------------------------- */

#define AUTH_MAGIC "JLAUTH01"
#define AUTH_CONTEXT "jitlink-executor challenge v1"

static char *load_secret(size_t *len) {
  const char *s = getenv("JITLINK_EXECUTOR_SECRET");
  if (s && *s) {
    *len = strlen(s);
    return strdup(s);
  }
  const char *file = getenv("JITLINK_EXECUTOR_SECRET_FILE");
  if (!file || !*file)
    return NULL;
  FILE *f = fopen(file, "rb");
  if (!f)
    die("cannot read the secret file %s: %s", file, strerror(errno));
  char *buf = malloc(4096);
  size_t n = buf ? fread(buf, 1, 4096, f) : 0;
  fclose(f);
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
    n--;
  if (!n)
    die("the secret file %s is empty", file);
  *len = n;
  return buf;
}

/* Seconds the controller has to answer the challenge. */
static long challenge_timeout_seconds(void) {
  const char *s = getenv("JITLINK_EXECUTOR_CHALLENGE_TIMEOUT");
  if (!s || !*s)
    return 30;
  char *end;
  long v = strtol(s, &end, 10);
  if (*end || v < 1 || v > 86400)
    die("JITLINK_EXECUTOR_CHALLENGE_TIMEOUT takes whole seconds from 1 to 86400, not \"%s\"", s);
  return v;
}

static long long monotonic_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The answer, read against a deadline: the executor serves one connection, and a peer that
   connects and never answers (or answers in part) must not hold it forever. */
static void read_answer(unsigned char *answer, size_t n, long seconds) {
  long long deadline = monotonic_ms() + seconds * 1000;
  size_t done = 0;
  while (done < n) {
    long long left = deadline - monotonic_ms();
    if (left <= 0)
      die("the controller did not answer the challenge within %ld s; connection dropped", seconds);
    struct pollfd p = {in_fd, POLLIN, 0};
    int ready = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
    if (ready < 0 && errno != EINTR)
      die("poll: %s", strerror(errno));
    if (ready <= 0)
      continue;
    ssize_t got = read(in_fd, answer + done, n - done);
    if (got == 0)
      die(done ? "unexpected end of stream" : "the controller closed the connection before answering the challenge");
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      die("read: %s", strerror(errno));
    }
    done += (size_t)got;
  }
}

/* Sends magic + nonce; requires HMAC-SHA256(secret, nonce || context) back. Drops the peer otherwise. */
static void authenticate(const char *secret, size_t secret_len) {
  long seconds = challenge_timeout_seconds();
  unsigned char nonce[32], expected[32], answer[32];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, nonce, sizeof nonce) != (ssize_t)sizeof nonce)
    die("no randomness for the challenge");
  close(fd);
  buf_t b = {0};
  put_bytes(&b, AUTH_MAGIC, 8);
  put_bytes(&b, nonce, sizeof nonce);
  write_full(b.data, b.len);
  free(b.data);
  unsigned char msg[32 + sizeof AUTH_CONTEXT - 1];
  memcpy(msg, nonce, 32);
  memcpy(msg + 32, AUTH_CONTEXT, sizeof AUTH_CONTEXT - 1);
  hmac_sha256((const unsigned char *)secret, secret_len, msg, sizeof msg, expected);
  read_answer(answer, sizeof answer, seconds);
  unsigned char diff = 0;
  for (int i = 0; i < 32; i++)
    diff |= (unsigned char)(answer[i] ^ expected[i]);
  if (diff)
    die("the controller did not prove knowledge of the shared secret; connection dropped");
}

/* ---- main loop --------------------------------------------------------- */

static void serve(void) {
  size_t secret_len = 0;
  char *secret = load_secret(&secret_len);
  if (secret) {
    authenticate(secret, secret_len);
    memset(secret, 0, secret_len);
    free(secret);
  }
  send_setup();
  for (;;) {
    unsigned char h[HEADER_SIZE];
    if (!read_full(h, sizeof h, 1))
      return; /* the controller closed the connection */
    rd_t hr = {h, sizeof h, 0, 1};
    uint64_t size = get_u64(&hr), opcode = get_u64(&hr), seq = get_u64(&hr), tag = get_u64(&hr);
    if (size < HEADER_SIZE || size - HEADER_SIZE > max_message)
      hangup_with_error("message size out of range");
    if (opcode > OP_CALL_WRAPPER)
      hangup_with_error("unknown opcode (not the simple remote EPC protocol?)");
    size_t body_len = (size_t)(size - HEADER_SIZE);
    unsigned char *body = malloc(body_len ? body_len : 1);
    if (!body)
      hangup_with_error("message too large for this executor's memory");
    read_full(body, body_len, 0);
    if (opcode == OP_HANGUP) {
      free(body);
      return;
    }
    if (opcode != OP_CALL_WRAPPER)
      hangup_with_error("unexpected message from the controller");
    if (start_main_call(seq, tag, body, body_len))
      continue;
    rd_t args = {body, body_len, 0, 1};
    buf_t out = {0};
    int handled = dispatch_local(tag, &args, &out);
    if (handled == 0)
      handled = call_exported_wrapper(tag, body, body_len, &out);
    if (handled == 0)
      hangup_with_error("call to an address that is not one of this executor's functions");
    if (handled < 0)
      hangup_with_error("malformed arguments to a wrapper function");
    send_message(OP_RESULT, seq, 0, &out);
    free(out.data);
    free(body);
  }
}

/* At any exit, a session ended by an error too: no shared memory name outlives this process. */
static void unlink_shared_names(void) {
  for (size_t i = 0; i < nreservations; i++) {
    if (reservations[i].shm < 0)
      continue;
    char name[64];
    snprintf(name, sizeof name, "/jitlink-executor-%ld-%d", (long)getpid(), reservations[i].shm);
    shm_unlink(name);
  }
}

static void release_all(void) {
  while (nreservations)
    release(reservations[0].base);
}

static int listen_once(const char *spec) {
  char host[256] = "127.0.0.1";
  const char *colon = strrchr(spec, ':');
  if (!colon)
    die("listen= takes [<host>]:<port>");
  size_t hl = (size_t)(colon - spec);
  if (hl >= sizeof host)
    die("host name too long");
  if (hl) {
    memcpy(host, spec, hl);
    host[hl] = 0;
  }
  if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
    memmove(host, host + 1, hl - 2);
    host[hl - 2] = 0;
  }
  struct addrinfo hints = {0}, *ai;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  int rc = getaddrinfo(host, colon + 1, &hints, &ai);
  if (rc)
    die("cannot resolve %s: %s", host, gai_strerror(rc));
  int s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (s < 0 || bind(s, ai->ai_addr, ai->ai_addrlen) || listen(s, 1))
    die("cannot listen on %s:%s: %s", host, colon + 1, strerror(errno));
  freeaddrinfo(ai);
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  int port = 0;
  if (!getsockname(s, (struct sockaddr *)&bound, &bound_len))
    port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                             : ((struct sockaddr_in *)&bound)->sin_port);
  /* The port actually bound (for port 0), so a parent can connect. */
  dprintf(2, "jitlink-executor: listening on %s:%d\n", host, port);
  int c = accept(s, NULL, NULL);
  if (c < 0)
    die("accept: %s", strerror(errno));
  close(s);
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return c;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  atexit(unlink_shared_names);
  page_size = (size_t)sysconf(_SC_PAGESIZE);
  const char *limit = getenv("JITLINK_EXECUTOR_MAX_MESSAGE");
  if (limit)
    max_message = strtoull(limit, NULL, 0);
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "filedescs=", 10)) {
      if (sscanf(argv[i] + 10, "%d,%d", &in_fd, &out_fd) != 2 || in_fd < 0 || out_fd < 0)
        die("filedescs= takes <in>,<out>");
    } else if (!strncmp(argv[i], "listen=", 7)) {
      in_fd = out_fd = listen_once(argv[i] + 7);
    } else {
      dprintf(2, "usage: %s filedescs=<in>,<out> | listen=[<host>]:<port>\n", argv[0]);
      return 2;
    }
  }
  if (in_fd < 0)
    die("usage: %s filedescs=<in>,<out> | listen=[<host>]:<port>", argv[0]);
  serve();
  fflush(NULL);
  release_all();
  return 0;
}

/* Drives Debian's static libz.a: one-shot and streaming APIs. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

static unsigned char input[6000];
static unsigned char packed[8000];
static unsigned char unpacked[6000];

static size_t make_text(void) {
  static const char *words[] = {"lorem", "ipsum", "dolor", "sit", "amet",
                                "consectetur", "adipiscing", "elit"};
  size_t n = 0;
  unsigned state = 12345;
  while (n < sizeof input - 20) {
    state = state * 1103515245u + 12345u;
    const char *w = words[(state >> 16) % 8];
    size_t len = strlen(w);
    memcpy(input + n, w, len);
    n += len;
    input[n++] = ((state >> 8) % 13 == 0) ? '\n' : ' ';
  }
  return n;
}

int main(void) {
  size_t n = make_text();
  int code = 0;
  printf("input bytes: %zu\n", n);
  printf("compressBound: %lu\n", (unsigned long)compressBound((uLong)n));
  printf("crc32: %08lx\n", (unsigned long)crc32(crc32(0L, Z_NULL, 0), input, (uInt)n));
  printf("adler32: %08lx\n", (unsigned long)adler32(adler32(0L, Z_NULL, 0), input, (uInt)n));

  uLongf packed_len = sizeof packed;
  if (compress2(packed, &packed_len, input, (uLong)n, 9) != Z_OK) {
    printf("compress2 failed\n");
    return 1;
  }
  printf("compress2 level 9: %lu bytes, crc32 %08lx\n", (unsigned long)packed_len,
         (unsigned long)crc32(0L, packed, (uInt)packed_len));
  uLongf out_len = sizeof unpacked;
  int rc = uncompress(unpacked, &out_len, packed, packed_len);
  int same = rc == Z_OK && out_len == n && memcmp(unpacked, input, n) == 0;
  printf("uncompress: rc=%d len=%lu roundtrip=%s\n", rc, (unsigned long)out_len,
         same ? "ok" : "MISMATCH");
  code += same ? 0 : 50;

  /* Streaming deflate in small chunks, raw inflate back. */
  z_stream ds;
  memset(&ds, 0, sizeof ds);
  deflateInit2(&ds, 6, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY);
  unsigned char stream_buf[8000];
  ds.next_out = stream_buf;
  ds.avail_out = sizeof stream_buf;
  size_t pos = 0;
  while (pos < n) {
    size_t chunk = n - pos < 700 ? n - pos : 700;
    ds.next_in = input + pos;
    ds.avail_in = (uInt)chunk;
    pos += chunk;
    deflate(&ds, pos == n ? Z_FINISH : Z_NO_FLUSH);
  }
  unsigned long stream_len = ds.total_out;
  deflateEnd(&ds);
  printf("deflate stream: %lu bytes, adler %08lx\n", stream_len,
         (unsigned long)adler32(1L, stream_buf, (uInt)stream_len));

  z_stream is;
  memset(&is, 0, sizeof is);
  inflateInit(&is);
  unsigned char out2[6000];
  is.next_in = stream_buf;
  is.avail_in = (uInt)stream_len;
  int chunks = 0;
  size_t got = 0;
  do {
    is.next_out = out2 + got;
    is.avail_out = (uInt)(sizeof out2 - got < 512 ? sizeof out2 - got : 512);
    rc = inflate(&is, Z_NO_FLUSH);
    got = is.total_out;
    chunks++;
  } while (rc == Z_OK);
  inflateEnd(&is);
  same = rc == Z_STREAM_END && got == n && memcmp(out2, input, n) == 0;
  printf("inflate: rc=%d chunks=%d len=%zu roundtrip=%s\n", rc, chunks, got,
         same ? "ok" : "MISMATCH");
  code += same ? 0 : 60;
  printf("zlib version: %s\n", zlibVersion());
  return code + (int)(packed_len % 100);
}

#define _POSIX_C_SOURCE 200809L
#include "cli_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t err_size, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(err, err_size, fmt, args);
  va_end(args);
  return -1;
}

/* The whole file in a malloc'ed buffer. */
static int read_file(const char *path, uint8_t **buf, size_t *size, char *err,
                     size_t err_size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return fail(err, err_size, "%s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return fail(err, err_size, "%s: not a regular file", path);
  }
  size_t n = (size_t)st.st_size, got = 0;
  *buf = malloc(n ? n : 1);
  if (*buf == NULL) {
    close(fd);
    return fail(err, err_size, "%s: out of memory for %zu bytes", path, n);
  }
  while (got < n) {
    ssize_t r = read(fd, *buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int e = r < 0 ? errno : EIO;
      close(fd);
      free(*buf);
      return fail(err, err_size, "%s: read failed: %s", path, strerror(e));
    }
    got += (size_t)r;
  }
  close(fd);
  *size = n;
  return 0;
}

/* Copy Fortran-ordered items into C order. */
static void fortran_to_c(const uint8_t *src, uint8_t *dst, const npy_header *h) {
  int64_t index[NPY_MAX_RANK] = {0};
  int64_t fstride[NPY_MAX_RANK];
  for (int d = 0; d < h->rank; d++)
    fstride[d] = d == 0 ? 1 : fstride[d - 1] * h->shape[d - 1];
  for (uint64_t i = 0; i < h->count; i++) {
    int64_t offset = 0;
    for (int d = 0; d < h->rank; d++) offset += index[d] * fstride[d];
    memcpy(dst + i * h->item_size, src + (size_t)offset * h->item_size,
           h->item_size);
    for (int d = h->rank - 1; d >= 0 && ++index[d] == h->shape[d]; d--)
      index[d] = 0;
  }
}

static int pick_dtype(const char *path, const npy_header *h, int want_bf16,
                      glk_dtype *dtype, char *err, size_t err_size) {
  char descr[8];
  npy_descr(h, descr);
  int is_word = h->type_char == 'u' || h->type_char == 'V';
  if (want_bf16 && !is_word)
    return fail(err, err_size,
                "%s: --dtype bf16 needs bfloat16 stored as u2 or V2, the file "
                "holds '%s'",
                path, descr);
  if (!want_bf16 && is_word)
    return fail(err, err_size,
                "%s: dtype '%s' is not a float; pass --dtype bf16 if it holds "
                "bfloat16",
                path, descr);
  *dtype = is_word              ? GLK_DTYPE_BF16
           : h->item_size == 2 ? GLK_DTYPE_F16
           : h->item_size == 4 ? GLK_DTYPE_F32
                               : GLK_DTYPE_F64;
  return 0;
}

int cli_load(const char *path, int want_bf16, cli_array *a, char *err,
             size_t err_size) {
  memset(a, 0, sizeof *a);
  uint8_t *buf = NULL;
  size_t size = 0;
  if (read_file(path, &buf, &size, err, err_size) != 0) return -1;
  char why[200];
  if (npy_parse(buf, size, &a->header, why, sizeof why) != 0) {
    free(buf);
    return fail(err, err_size, "%s: %s", path, why);
  }
  const npy_header *h = &a->header;
  if (pick_dtype(path, h, want_bf16, &a->dtype, err, err_size) != 0) {
    free(buf);
    return -1;
  }
  /* A copy of its own keeps the data aligned whatever the header length. */
  a->data = h->data_size ? malloc(h->data_size) : NULL;
  if (h->data_size && a->data == NULL) {
    free(buf);
    return fail(err, err_size, "%s: out of memory for %zu bytes", path,
                h->data_size);
  }
  if (h->fortran_order && h->rank > 1)
    fortran_to_c(buf + h->data_offset, a->data, h);
  else if (h->data_size)
    memcpy(a->data, buf + h->data_offset, h->data_size);
  free(buf);
  int file_little = h->byte_order == '<';
  if (h->byte_order != '|' && file_little != npy_host_is_little_endian())
    npy_swap_bytes(a->data, h->count, h->item_size);
  return 0;
}

void cli_free(cli_array *a) {
  free(a->data);
  a->data = NULL;
}

glk_tensor cli_tensor(const cli_array *a) {
  glk_tensor t;
  memset(&t, 0, sizeof t);
  t.data = a->data;
  t.dtype = a->dtype;
  t.rank = a->header.rank;
  /* C-contiguous strides, innermost first; the caller checked the rank. */
  int64_t stride = 1;
  for (int d = t.rank - 1; d >= 0; d--) {
    t.shape[d] = a->header.shape[d];
    t.strides[d] = stride;
    stride *= t.shape[d] ? t.shape[d] : 1;
  }
  return t;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int cli_save(const char *path, const npy_header *like, int rank,
             const int64_t *shape, void *data, char *err, size_t err_size) {
  npy_header h = *like;
  h.rank = rank;
  h.fortran_order = 0;
  h.count = 1;
  for (int d = 0; d < rank; d++) {
    h.shape[d] = shape[d];
    h.count *= (uint64_t)shape[d];
  }
  uint8_t header[1024];
  size_t header_size = npy_format_header(&h, header, sizeof header);
  if (header_size == 0) return fail(err, err_size, "%s: header too long", path);
  if (h.byte_order != '|' &&
      (h.byte_order == '<') != npy_host_is_little_endian())
    npy_swap_bytes(data, h.count, h.item_size);

  /* The temporary file lives beside the target so rename() stays atomic. */
  const char *slash = strrchr(path, '/');
  size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
  char *tmp = malloc(dir_len + 16);
  if (tmp == NULL) return fail(err, err_size, "%s: out of memory", path);
  memcpy(tmp, path, dir_len);
  strcpy(tmp + dir_len, ".glukit.XXXXXX");
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return fail(err, err_size, "%s: cannot create a file there: %s", path,
                strerror(e));
  }
  /* mkstemp makes the file 0600; give it the mode a plain create would. */
  mode_t mask = umask(0);
  umask(mask);
  int ok = fchmod(fd, 0666 & ~mask) == 0 &&
           write_all(fd, header, header_size) == 0 &&
           write_all(fd, data, (size_t)h.count * h.item_size) == 0;
  int e = errno;
  if (close(fd) != 0 && ok) {
    ok = 0;
    e = errno;
  }
  if (ok && rename(tmp, path) != 0) {
    ok = 0;
    e = errno;
  }
  if (!ok) unlink(tmp);
  free(tmp);
  if (!ok) return fail(err, err_size, "%s: write failed: %s", path, strerror(e));
  return 0;
}

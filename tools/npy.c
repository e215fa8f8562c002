#include "npy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const uint8_t npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static int fail(char *err, size_t err_size, const char *fmt, ...) {
  if (err != NULL && err_size > 0) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(err, err_size, fmt, args);
    va_end(args);
  }
  return -1;
}

/* A cursor over the header dict text; the parser only moves it forward. */
typedef struct cursor {
  const char *p;
  const char *end;
} cursor;

static void skip_space(cursor *c) {
  while (c->p < c->end &&
         (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static int take(cursor *c, char ch) {
  skip_space(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

static int take_word(cursor *c, const char *word) {
  size_t n = strlen(word);
  skip_space(c);
  if ((size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0) {
    c->p += n;
    return 1;
  }
  return 0;
}

/* A quoted Python string without escapes, of printable ASCII. */
static int parse_string(cursor *c, char *out, size_t cap) {
  skip_space(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
  char quote = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != quote) {
    char ch = *c->p++;
    if (ch < 0x20 || ch > 0x7e || ch == '\\' || n + 1 >= cap) return 0;
    out[n++] = ch;
  }
  if (c->p >= c->end) return 0;
  c->p++;
  out[n] = '\0';
  return 1;
}

/* A non-negative decimal integer as Python writes it (no leading zeros). */
static int parse_extent(cursor *c, int64_t *value) {
  skip_space(c);
  if (c->p >= c->end || *c->p < '0' || *c->p > '9') return 0;
  if (*c->p == '0' && c->p + 1 < c->end && c->p[1] >= '0' && c->p[1] <= '9')
    return 0;
  int64_t v = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    int digit = *c->p++ - '0';
    if (v > (INT64_MAX - digit) / 10) return -1;
    v = v * 10 + digit;
  }
  *value = v;
  return 1;
}

/* A tuple of extents: (), (5,), (3, 4) or (3, 4,). */
static int parse_shape(cursor *c, npy_header *h, char *err, size_t err_size) {
  if (!take(c, '(')) return fail(err, err_size, "header: shape is not a tuple");
  h->rank = 0;
  if (take(c, ')')) return 0;
  for (;;) {
    int64_t extent;
    int r = parse_extent(c, &extent);
    if (r < 0) return fail(err, err_size, "header: shape extent too large");
    if (r == 0)
      return fail(err, err_size, "header: shape holds something not an integer");
    if (h->rank == NPY_MAX_RANK)
      return fail(err, err_size, "header: more than %d dimensions",
                  NPY_MAX_RANK);
    h->shape[h->rank++] = extent;
    int comma = take(c, ',');
    if (take(c, ')')) {
      /* Python reads "(5)" as the integer 5, not a tuple. */
      if (h->rank == 1 && !comma)
        return fail(err, err_size, "header: shape is not a tuple");
      return 0;
    }
    if (!comma) return fail(err, err_size, "header: malformed shape tuple");
  }
}

static int parse_descr(const char *descr, npy_header *h, char *err,
                       size_t err_size) {
  static const char *const accepted[] = {"<f2", ">f2", "<f4", ">f4", "<f8",
                                         ">f8", "<u2", ">u2", "|V2"};
  for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
    if (strcmp(descr, accepted[i]) == 0) {
      h->byte_order = descr[0];
      h->type_char = descr[1];
      h->item_size = (size_t)(descr[2] - '0');
      return 0;
    }
  }
  return fail(err, err_size,
              "unsupported dtype '%s' (glukit reads f2, f4, f8, and bfloat16 "
              "stored as u2 or V2)",
              descr);
}

/* The header dict: exactly the keys descr, fortran_order and shape. */
static int parse_dict(cursor *c, npy_header *h, char *err, size_t err_size) {
  int seen_descr = 0, seen_order = 0, seen_shape = 0;
  if (!take(c, '{')) return fail(err, err_size, "header: not a dict");
  while (!take(c, '}')) {
    char key[32];
    if (!parse_string(c, key, sizeof key))
      return fail(err, err_size, "header: expected a quoted key");
    if (!take(c, ':')) return fail(err, err_size, "header: expected ':'");
    if (strcmp(key, "descr") == 0 && !seen_descr) {
      char descr[16];
      skip_space(c);
      if (c->p < c->end && *c->p == '[')
        return fail(err, err_size, "unsupported dtype (structured array)");
      if (!parse_string(c, descr, sizeof descr))
        return fail(err, err_size, "header: descr is not a short string");
      if (parse_descr(descr, h, err, err_size) != 0) return -1;
      seen_descr = 1;
    } else if (strcmp(key, "fortran_order") == 0 && !seen_order) {
      if (take_word(c, "True"))
        h->fortran_order = 1;
      else if (take_word(c, "False"))
        h->fortran_order = 0;
      else
        return fail(err, err_size, "header: fortran_order is not True/False");
      seen_order = 1;
    } else if (strcmp(key, "shape") == 0 && !seen_shape) {
      if (parse_shape(c, h, err, err_size) != 0) return -1;
      seen_shape = 1;
    } else {
      return fail(err, err_size, "header: unexpected or repeated key '%s'",
                  key);
    }
    if (!take(c, ',')) {
      if (!take(c, '}')) return fail(err, err_size, "header: expected ',' or '}'");
      break;
    }
  }
  if (!seen_descr || !seen_order || !seen_shape)
    return fail(err, err_size, "header: missing key '%s'",
                !seen_descr ? "descr" : !seen_order ? "fortran_order" : "shape");
  skip_space(c);
  if (c->p != c->end)
    return fail(err, err_size, "header: unexpected text after the dict");
  return 0;
}

int npy_parse(const uint8_t *buf, size_t size, npy_header *h, char *err,
              size_t err_size) {
  memset(h, 0, sizeof *h);
  if (size < 8 || memcmp(buf, npy_magic, sizeof npy_magic) != 0)
    return fail(err, err_size, "not a .npy file (bad magic)");
  h->version_major = buf[6];
  h->version_minor = buf[7];
  if (h->version_major < 1 || h->version_major > 3 || h->version_minor != 0)
    return fail(err, err_size, "unsupported .npy version %d.%d",
                h->version_major, h->version_minor);
  size_t prefix = h->version_major == 1 ? 10 : 12;
  if (size < prefix)
    return fail(err, err_size, "truncated header (file has %zu bytes)", size);
  uint64_t header_len = (uint64_t)buf[8] | (uint64_t)buf[9] << 8;
  if (h->version_major >= 2)
    header_len |= (uint64_t)buf[10] << 16 | (uint64_t)buf[11] << 24;
  if (header_len > size - prefix)
    return fail(err, err_size,
                "truncated header (header says %llu bytes, file has %zu "
                "after the prefix)",
                (unsigned long long)header_len, size - prefix);

  const char *text = (const char *)buf + prefix;
  for (uint64_t i = 0; i < header_len; i++) {
    /* Versions 1.0 and 2.0 are latin-1, 3.0 is UTF-8; the keys and values
       glukit accepts are ASCII either way, so anything else is corrupt. */
    unsigned char ch = (unsigned char)text[i];
    if (ch > 0x7e || (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r'))
      return fail(err, err_size, "header: byte 0x%02x at offset %llu", ch,
                  (unsigned long long)(prefix + i));
  }
  cursor c = {text, text + header_len};
  if (parse_dict(&c, h, err, err_size) != 0) return -1;

  uint64_t count = 1;
  for (int d = 0; d < h->rank; d++) {
    uint64_t extent = (uint64_t)h->shape[d];
    if (extent != 0 && count > UINT64_MAX / extent)
      return fail(err, err_size, "header: element count overflows");
    count *= extent;
  }
  if (count > SIZE_MAX / h->item_size)
    return fail(err, err_size, "header: byte count overflows");
  h->count = count;
  h->data_offset = prefix + (size_t)header_len;
  h->data_size = (size_t)count * h->item_size;
  size_t available = size - h->data_offset;
  if (available < h->data_size)
    return fail(err, err_size,
                "truncated data (shape needs %zu bytes, file has %zu)",
                h->data_size, available);
  if (available > h->data_size)
    return fail(err, err_size, "%zu unexpected bytes after the data",
                available - h->data_size);
  return 0;
}

void npy_descr(const npy_header *h, char out[8]) {
  snprintf(out, 8, "%c%c%zu", h->byte_order, h->type_char, h->item_size);
}

size_t npy_format_header(const npy_header *h, uint8_t *out, size_t cap) {
  char dict[64 + NPY_MAX_RANK * 22];
  char descr[8];
  npy_descr(h, descr);
  int n = snprintf(dict, sizeof dict,
                   "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (int d = 0; d < h->rank; d++)
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld%s",
                  (long long)h->shape[d],
                  (h->rank == 1 || d + 1 < h->rank) ? ", " : "");
  /* The ", " after a lone extent makes "(5, )", which Python reads as a
     tuple; drop its space to match NumPy's "(5,)". */
  if (h->rank == 1) n--;
  n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");

  /* NumPy pads the dict with spaces and a newline so the data starts on a
     64-byte boundary. */
  size_t prefix = 10, len = (size_t)n + 1;
  size_t total = (prefix + len + 63) / 64 * 64;
  if (total - prefix > 65535) { /* too long for version 1.0's length */
    prefix = 12;
    total = (prefix + len + 63) / 64 * 64;
  }
  if (total > cap) return 0;
  size_t header_len = total - prefix;
  memcpy(out, npy_magic, sizeof npy_magic);
  out[6] = prefix == 10 ? 1 : 2;
  out[7] = 0;
  for (size_t i = 0; i < prefix - 8; i++)
    out[8 + i] = (uint8_t)(header_len >> (8 * i));
  memcpy(out + prefix, dict, (size_t)n);
  memset(out + prefix + n, ' ', header_len - (size_t)n - 1);
  out[total - 1] = '\n';
  return total;
}

void npy_swap_bytes(void *data, uint64_t count, size_t item_size) {
  uint8_t *p = data;
  for (uint64_t i = 0; i < count; i++, p += item_size)
    for (size_t a = 0, b = item_size - 1; a < b; a++, b--) {
      uint8_t t = p[a];
      p[a] = p[b];
      p[b] = t;
    }
}

int npy_host_is_little_endian(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

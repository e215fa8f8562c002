/*
 * A small, strict reader and writer for NumPy's .npy format (versions 1.0,
 * 2.0 and 3.0), limited to what the glukit tool needs: f2, f4, f8, and
 * 16-bit words (u2, V2) that the caller may treat as bfloat16.
 *
 * The reader is a pure function over a byte buffer so that a fuzzer can
 * drive it directly; it never reads outside [buf, buf + size).
 */
#ifndef GLUKIT_TOOLS_NPY_H
#define GLUKIT_TOOLS_NPY_H

#include <stddef.h>
#include <stdint.h>

/* NumPy's own limit on the number of dimensions. */
#define NPY_MAX_RANK 32

typedef struct npy_header {
  int version_major;
  int version_minor;
  char byte_order;  /* '<', '>' or '|' as written in the descr */
  char type_char;   /* 'f', 'u' or 'V' */
  size_t item_size; /* 2, 4 or 8 */
  int fortran_order;
  int rank;
  int64_t shape[NPY_MAX_RANK];
  uint64_t count;     /* number of elements */
  size_t data_offset; /* where the data starts in the buffer */
  size_t data_size;   /* count * item_size, equal to size - data_offset */
} npy_header;

/*
 * Parse the .npy file held in buf[0, size). On success fills *header and
 * returns 0; on failure returns -1 and writes a one-line message (no
 * newline) to err. Accepted dtypes: <f2 >f2 <f4 >f4 <f8 >f8 <u2 >u2 |V2.
 * The data must follow the header exactly, with no bytes after it.
 */
int npy_parse(const uint8_t *buf, size_t size, npy_header *header, char *err,
              size_t err_size);

/* "<f4", "|V2", ... for the header's dtype; out must hold 8 bytes. */
void npy_descr(const npy_header *header, char out[8]);

/*
 * Write the header bytes (magic, version, length, dict, padding) for an
 * array with the given dtype fields, rank and shape, in C order. Picks
 * version 1.0, or 2.0 when the dict does not fit 1.0's 16-bit length.
 * Returns the number of bytes written, or 0 if cap is too small.
 */
size_t npy_format_header(const npy_header *header, uint8_t *out, size_t cap);

/* Reverse the bytes of each of `count` items of item_size bytes. */
void npy_swap_bytes(void *data, uint64_t count, size_t item_size);

/* Nonzero when this machine stores numbers little-endian. */
int npy_host_is_little_endian(void);

#endif /* GLUKIT_TOOLS_NPY_H */

/* libFuzzer entry point: the .npy reader on arbitrary bytes, and a round
   trip of whatever it accepts through the header writer. */
#include <stdlib.h>
#include <string.h>

#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  npy_header h;
  char err[256];
  if (npy_parse(data, size, &h, err, sizeof err) != 0) {
    if (memchr(err, '\n', sizeof err) != NULL) abort(); /* one-line errors */
    return 0;
  }
  uint8_t out[1024 + 4096];
  size_t n = npy_format_header(&h, out, 1024);
  if (n == 0 || n % 64 != 0) abort();
  /* The written header, followed by the data, must parse back the same. */
  size_t data_size = h.data_size < 4096 ? h.data_size : 0;
  if (data_size != h.data_size) return 0;
  memcpy(out + n, data + h.data_offset, data_size);
  npy_header back;
  if (npy_parse(out, n + data_size, &back, err, sizeof err) != 0) abort();
  if (back.rank != h.rank || back.count != h.count ||
      back.type_char != h.type_char || back.item_size != h.item_size ||
      back.byte_order != h.byte_order || back.fortran_order)
    abort();
  for (int d = 0; d < h.rank; d++)
    if (back.shape[d] != h.shape[d]) abort();
  return 0;
}

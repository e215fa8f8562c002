/* Loading and saving .npy files for the glukit tool. */
#ifndef GLUKIT_TOOLS_CLI_FILES_H
#define GLUKIT_TOOLS_CLI_FILES_H

#include "glukit.h"
#include "npy.h"

/* An array read from a file, converted to native byte order and C order. */
typedef struct cli_array {
  npy_header header; /* as found in the file (dtype spelling, shape) */
  glk_dtype dtype;
  void *data; /* malloc'ed; NULL only when empty */
} cli_array;

/*
 * Read `path`. want_bf16 says the user passed --dtype bf16: u2/V2 data is
 * then bfloat16 and float data is refused; without it u2/V2 is refused.
 * Returns 0, or -1 with a one-line message naming the file in err.
 */
int cli_load(const char *path, int want_bf16, cli_array *array, char *err,
             size_t err_size);

void cli_free(cli_array *array);

/* A C-contiguous tensor view of the array; its rank must be 1..GLK_MAX_RANK. */
glk_tensor cli_tensor(const cli_array *array);

/*
 * Write `data` (native byte order, C order, `rank` x `shape`) to `path` as
 * .npy with the dtype spelling of `like`. Writes a temporary file in the
 * target folder and renames it over `path`, so that a failure leaves no
 * output behind. May byte-swap `data` in place. Returns 0 or -1 with err.
 */
int cli_save(const char *path, const npy_header *like, int rank,
             const int64_t *shape, void *data, char *err, size_t err_size);

#endif /* GLUKIT_TOOLS_CLI_FILES_H */

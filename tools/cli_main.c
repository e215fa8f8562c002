/*
 * The glukit command: GLU forward and backward on .npy files, and a demo.
 * Exit status: 0 success, 1 bad data or file, 2 bad usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_bench.h"
#include "cli_demo.h"
#include "cli_files.h"
#include "glukit.h"

enum { EXIT_DATA = 1, EXIT_USAGE = 2 };

static const char options_help[] =
    "options:\n"
    "  --act NAME       glu (default), swiglu, geglu, geglu_tanh, geglu_quick,\n"
    "                   reglu, bilinear, swiglu_oai\n"
    "  --dim D          split axis; negative counts from the end (default -1)\n"
    "  --gate WHICH     second (default: Y = first * act(second)) or first\n"
    "                   (Y = act(first) * second, vLLM's silu_and_mul)\n"
    "  --layout L       halves (default) or interleaved pairs (x0,x1),(x2,x3)..\n"
    "  --alpha A        swiglu_oai sigmoid scale (default 1.702)\n"
    "  --limit L        swiglu_oai clamp limit, >= 0 (default 7)\n"
    "  --dtype bf16     the files hold bfloat16 stored as u2 or V2\n"
    "  -h, --help       show this help\n";

static const char files_help[] =
    "Reads .npy versions 1.0, 2.0 and 3.0, either byte order, C or Fortran\n"
    "order, dtypes f2, f4, f8 (and u2/V2 with --dtype bf16). Writes the\n"
    "input's dtype in C order, through a temporary file in the same folder,\n"
    "so a failed run leaves no output behind.\n"
    "Exit status: 0 success, 1 bad data or file, 2 bad usage.\n";

static void print_forward_help(FILE *out) {
  fprintf(out,
          "usage: glukit forward [options] X.npy Y.npy\n"
          "Split X along --dim into a value half v and a gate half g and "
          "write\nY = v * act(g), shaped like X with that axis halved.\n\n"
          "%s\n%s",
          options_help, files_help);
}

static void print_backward_help(FILE *out) {
  fprintf(out,
          "usage: glukit backward [options] [--accumulate] X.npy DY.npy "
          "DX.npy\n"
          "Write DX, the gradient of sum(DY * Y) with respect to X, where Y is\n"
          "what `glukit forward` computes from X; DY is shaped like Y.\n\n"
          "%s"
          "  --accumulate     add into DX instead of replacing it: DX.npy "
          "must exist,\n"
          "                   shaped and typed like X, and becomes DX + "
          "gradient\n"
          "                   (summed in higher precision, rounded once)\n\n"
          "%s",
          options_help, files_help);
}

static void print_demo_help(FILE *out) {
  fprintf(out,
          "usage: glukit demo\n"
          "Run every variant forward and backward on built-in f32 data, "
          "check each\nagainst the formula evaluated in long double, and "
          "print a table.\nExit status: 0 when every variant passes, 1 "
          "otherwise.\n");
}

static void print_usage(FILE *out) {
  fprintf(out,
          "usage: glukit forward [options] X.npy Y.npy\n"
          "       glukit backward [options] [--accumulate] X.npy DY.npy "
          "DX.npy\n"
          "       glukit demo\n"
          "       glukit bench [options]\n"
          "       glukit --version\n"
          "Run `glukit COMMAND --help` for the options of each command.\n");
}

static int usage_error(const char *fmt, const char *arg) {
  fputs("glukit: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs(" (see glukit --help)\n", stderr);
  return EXIT_USAGE;
}

typedef struct cli_args {
  glk_options options;
  int want_bf16;
  int help;
  int npaths;
  const char *paths[3];
} cli_args;

static int parse_double(const char *text, double *value) {
  char *end;
  *value = strtod(text, &end);
  return end != text && *end == '\0' && isfinite(*value);
}

static int parse_dim(const char *text, int32_t *dim) {
  char *end;
  long v = strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < -GLK_MAX_RANK || v > GLK_MAX_RANK)
    return 0;
  *dim = (int32_t)v;
  return 1;
}

/* Apply one "--name value" option; returns 0 or an exit status. */
static int apply_option(cli_args *a, const char *name, const char *value) {
  glk_options *o = &a->options;
  if (strcmp(name, "--act") == 0) {
    if (glk_act_from_name(value, &o->act) != GLK_OK)
      return usage_error("unknown --act '%s'", value);
  } else if (strcmp(name, "--dim") == 0) {
    if (!parse_dim(value, &o->dim))
      return usage_error("--dim wants an integer axis, got '%s'", value);
  } else if (strcmp(name, "--gate") == 0) {
    if (strcmp(value, "first") == 0) o->gate = GLK_GATE_FIRST;
    else if (strcmp(value, "second") == 0) o->gate = GLK_GATE_SECOND;
    else return usage_error("--gate wants first or second, got '%s'", value);
  } else if (strcmp(name, "--layout") == 0) {
    if (strcmp(value, "halves") == 0) o->layout = GLK_LAYOUT_HALVES;
    else if (strcmp(value, "interleaved") == 0) o->layout = GLK_LAYOUT_INTERLEAVED;
    else return usage_error("--layout wants halves or interleaved, got '%s'", value);
  } else if (strcmp(name, "--alpha") == 0) {
    if (!parse_double(value, &o->alpha))
      return usage_error("--alpha wants a finite number, got '%s'", value);
  } else if (strcmp(name, "--limit") == 0) {
    if (!parse_double(value, &o->limit) || o->limit < 0)
      return usage_error("--limit wants a finite number >= 0, got '%s'", value);
  } else if (strcmp(name, "--dtype") == 0) {
    if (strcmp(value, "bf16") != 0)
      return usage_error("--dtype only takes bf16 (other dtypes come from "
                         "the file), got '%s'", value);
    a->want_bf16 = 1;
  } else {
    return usage_error("unknown option '%s'", name);
  }
  return 0;
}

static const char *const valued_options[] = {
    "--act", "--dim", "--gate", "--layout", "--alpha", "--limit", "--dtype"};

static int takes_value(const char *name) {
  for (size_t i = 0; i < sizeof valued_options / sizeof *valued_options; i++)
    if (strcmp(name, valued_options[i]) == 0) return 1;
  return 0;
}

/* Parse argv after the command name; returns 0 or an exit status. */
static int parse_args(int argc, char **argv, int max_paths, int is_backward,
                      cli_args *a) {
  memset(a, 0, sizeof *a);
  glk_options_init(&a->options);
  int only_paths = 0;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (only_paths || arg[0] != '-' || arg[1] == '\0') {
      if (a->npaths == max_paths)
        return usage_error("unexpected extra argument '%s'", arg);
      a->paths[a->npaths++] = arg;
    } else if (strcmp(arg, "--") == 0) {
      only_paths = 1;
    } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      a->help = 1;
    } else if (is_backward && strcmp(arg, "--accumulate") == 0) {
      a->options.accumulate = 1;
    } else {
      char name[32];
      const char *eq = strchr(arg, '=');
      size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
      if (len >= sizeof name) return usage_error("unknown option '%s'", arg);
      memcpy(name, arg, len);
      name[len] = '\0';
      if (!takes_value(name)) return usage_error("unknown option '%s'", arg);
      const char *value = eq ? eq + 1 : NULL;
      if (value == NULL) {
        if (i + 1 == argc) return usage_error("option '%s' needs a value", name);
        value = argv[++i];
      }
      int status = apply_option(a, name, value);
      if (status) return status;
    }
  }
  return 0;
}

/* Report a failed library call; bad option values are usage errors. */
static int library_error(glk_status status) {
  const char *detail = glk_last_error();
  fprintf(stderr, "glukit: %s\n",
          detail && *detail ? detail : glk_status_string(status));
  return status == GLK_ERR_INVALID_ARGUMENT ? EXIT_USAGE : EXIT_DATA;
}

static int load_checked(const char *path, int want_bf16, cli_array *array) {
  char err[512];
  if (cli_load(path, want_bf16, array, err, sizeof err) != 0) {
    fprintf(stderr, "glukit: %s\n", err);
    return EXIT_DATA;
  }
  if (array->header.rank < 1 || array->header.rank > GLK_MAX_RANK) {
    fprintf(stderr, "glukit: %s: rank %d, glukit takes 1 to %d dimensions\n",
            path, array->header.rank, GLK_MAX_RANK);
    cli_free(array);
    return EXIT_DATA;
  }
  return 0;
}

static int save_checked(const char *path, const npy_header *like, int rank,
                        const int64_t *shape, void *data) {
  char err[512];
  if (cli_save(path, like, rank, shape, data, err, sizeof err) != 0) {
    fprintf(stderr, "glukit: %s\n", err);
    return EXIT_DATA;
  }
  return 0;
}

static int run_forward(const cli_args *a) {
  cli_array x;
  int status = load_checked(a->paths[0], a->want_bf16, &x);
  if (status) return status;
  glk_tensor xt = cli_tensor(&x);
  int64_t y_shape[GLK_MAX_RANK];
  glk_status s = glk_output_shape(xt.rank, xt.shape, a->options.dim, y_shape);
  void *y = NULL;
  if (s == GLK_OK) {
    size_t bytes = x.header.data_size / 2;
    y = malloc(bytes ? bytes : 1);
    glk_tensor yt;
    s = y ? glk_tensor_init(&yt, y, x.dtype, xt.rank, y_shape, NULL)
          : GLK_ERR_OVERFLOW;
    if (s == GLK_OK) s = glk_forward(&xt, &yt, &a->options);
  }
  status = s != GLK_OK ? library_error(s)
                       : save_checked(a->paths[1], &x.header, xt.rank, y_shape, y);
  free(y);
  cli_free(&x);
  return status;
}

static int run_backward(const cli_args *a) {
  cli_array x, dy, dx_in = {0};
  int status = load_checked(a->paths[0], a->want_bf16, &x);
  if (status) return status;
  status = load_checked(a->paths[1], a->want_bf16, &dy);
  if (status) {
    cli_free(&x);
    return status;
  }
  if (a->options.accumulate) {
    if (access(a->paths[2], F_OK) != 0) {
      fprintf(stderr, "glukit: %s: --accumulate adds into an existing DX, "
              "and there is no such file\n", a->paths[2]);
      status = EXIT_DATA;
    } else {
      status = load_checked(a->paths[2], a->want_bf16, &dx_in);
    }
  }
  if (status == 0) {
    glk_tensor xt = cli_tensor(&x), dyt = cli_tensor(&dy), dxt;
    void *dx = dx_in.data;
    if (a->options.accumulate) {
      dxt = cli_tensor(&dx_in);
    } else {
      dx = malloc(x.header.data_size ? x.header.data_size : 1);
      dxt = xt;
      dxt.data = dx;
    }
    glk_status s = dx ? glk_backward(&xt, &dyt, &dxt, &a->options)
                      : GLK_ERR_OVERFLOW;
    status = s != GLK_OK ? library_error(s)
                         : save_checked(a->paths[2], &x.header, xt.rank,
                                        xt.shape, dx);
    if (!a->options.accumulate) free(dx);
  }
  cli_free(&dx_in);
  cli_free(&dy);
  cli_free(&x);
  return status;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return EXIT_USAGE;
  }
  const char *command = argv[1];
  if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
    printf("glukit %s\n", glk_version_string());
    return 0;
  }
  if (strcmp(command, "-h") == 0 || strcmp(command, "--help") == 0 ||
      strcmp(command, "help") == 0) {
    print_usage(stdout);
    return 0;
  }
  if (strcmp(command, "bench") == 0) return cli_bench(argc - 2, argv + 2);
  int is_forward = strcmp(command, "forward") == 0;
  int is_backward = strcmp(command, "backward") == 0;
  int is_demo = strcmp(command, "demo") == 0;
  if (!is_forward && !is_backward && !is_demo)
    return usage_error("unknown command '%s'", command);

  if (is_demo) {
    for (int i = 2; i < argc; i++) {
      if (strcmp(argv[i], "-h") != 0 && strcmp(argv[i], "--help") != 0)
        return usage_error("demo takes no arguments, got '%s'", argv[i]);
      print_demo_help(stdout);
      return 0;
    }
    return cli_demo(stdout);
  }

  cli_args a;
  int max_paths = is_forward ? 2 : 3;
  int status = parse_args(argc - 2, argv + 2, max_paths, is_backward, &a);
  if (status) return status;
  if (a.help) {
    if (is_forward) print_forward_help(stdout);
    else print_backward_help(stdout);
    return 0;
  }
  if (a.npaths != max_paths)
    return usage_error("%s", is_forward
                                 ? "forward needs two files: X.npy Y.npy"
                                 : "backward needs three files: X.npy "
                                   "DY.npy DX.npy");
  return is_forward ? run_forward(&a) : run_backward(&a);
}

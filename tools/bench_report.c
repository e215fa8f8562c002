#define _POSIX_C_SOURCE 200809L
#include "bench_report.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_stream.h"

static void read_cpu_model(char *out, size_t size) {
  snprintf(out, size, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    /* x86 says "model name"; some aarch64 kernels only "Hardware". */
    if (strncmp(line, "model name", 10) != 0 && strncmp(line, "Hardware", 8) != 0)
      continue;
    const char *colon = strchr(line, ':');
    if (!colon) continue;
    colon += 1 + (colon[1] == ' ');
    snprintf(out, size, "%.*s", (int)strcspn(colon, "\n"), colon);
    break;
  }
  fclose(f);
}

void bench_machine_read(bench_machine *m, glk_isa isa) {
  memset(m, 0, sizeof *m);
  read_cpu_model(m->cpu, sizeof m->cpu);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  m->cores = cores > 0 ? (int)cores : 1;
  m->isa = glk_isa_name(isa == GLK_ISA_AUTO ? glk_default_isa() : isa);
  m->stream_isa = bench_stream_isa();
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(m->date, sizeof m->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

double bench_row_stream_ns(const bench_row *r, const char **kind) {
  const int nt = r->stream_nt_ns > 0 && r->stream_nt_ns < r->stream_plain_ns;
  if (kind) *kind = nt ? "nt" : "plain";
  return nt ? r->stream_nt_ns : r->stream_plain_ns;
}

double bench_row_ratio(const bench_row *r) {
  return bench_row_stream_ns(r, NULL) / r->call_ns;
}

static void format_shape(const bench_row *r, char *out, size_t size) {
  size_t at = 0;
  out[0] = '\0';
  for (int32_t i = 0; i < r->rank && at < size; i++)
    at += (size_t)snprintf(out + at, size - at, i ? "x%lld" : "%lld",
                           (long long)r->shape[i]);
}

static void format_time(double ns, char *out, size_t size) {
  if (ns < 1e3) snprintf(out, size, "%.1f ns", ns);
  else if (ns < 1e6) snprintf(out, size, "%.2f us", ns / 1e3);
  else snprintf(out, size, "%.2f ms", ns / 1e6);
}

void bench_print_header(FILE *out, const bench_machine *m, const char *note) {
  fprintf(out, "glukit %s bench, %s, %d cores, kernels %s, stream %s, %s\n",
          glk_version_string(), m->cpu, m->cores, m->isa, m->stream_isa, m->date);
  fprintf(out, "GB/s: bytes of X + Y (forward) or X + dY + dX (backward) per "
          "second; ns/elem: per element of Y;\nratio: GLU GB/s over the "
          "same-traffic stream's, timed alternately in this run.\n");
  if (note) fprintf(out, "%s\n", note);
  fputc('\n', out);
  fprintf(out, "%-14s %-5s %-11s %-3s %3s %11s %7s %8s %12s %6s\n", "shape",
          "dtype", "act", "dir", "thr", "time/call", "GB/s", "ns/elem",
          "stream GB/s", "ratio");
}

void bench_print_row(FILE *out, const bench_row *r) {
  char shape[96], time[32];
  const char *kind;
  format_shape(r, shape, sizeof shape);
  format_time(r->call_ns, time, sizeof time);
  const double stream_ns = bench_row_stream_ns(r, &kind);
  fprintf(out, "%-14s %-5s %-11s %-3s %3d %11s %7.1f %8.3f %6.1f %-5s %6.2f\n",
          shape, glk_dtype_name(r->dtype), glk_act_name(r->act),
          r->backward ? "bwd" : "fwd", r->threads, time, r->bytes / r->call_ns,
          r->call_ns / r->y_elements, r->bytes / stream_ns, kind,
          bench_row_ratio(r));
  fflush(out);
}

/* Names and the CPU model are plain text; escape what JSON requires. */
static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
    else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
    else fputc(*s, f);
  }
  fputc('"', f);
}

static void json_row(FILE *f, const bench_row *r) {
  const char *kind;
  const double stream_ns = bench_row_stream_ns(r, &kind);
  fputs("{\"shape\": [", f);
  for (int32_t i = 0; i < r->rank; i++)
    fprintf(f, i ? ", %lld" : "%lld", (long long)r->shape[i]);
  fprintf(f, "], \"dim\": %d, \"layout\": \"%s\", \"dtype\": \"%s\", "
          "\"act\": \"%s\", \"direction\": \"%s\", \"threads\": %d, "
          "\"reps\": %d, \"batch\": %ld, \"bytes\": %.0f, \"time_ns\": %.3f, "
          "\"gbps\": %.6g, \"ns_per_y_element\": %.6f, "
          "\"stream_kind\": \"%s\", \"stream_gbps\": %.6g, "
          "\"stream_plain_gbps\": %.6g, \"stream_nt_gbps\": ",
          r->dim, r->layout == GLK_LAYOUT_INTERLEAVED ? "interleaved" : "halves",
          glk_dtype_name(r->dtype), glk_act_name(r->act),
          r->backward ? "backward" : "forward", r->threads, r->reps, r->batch,
          r->bytes, r->call_ns, r->bytes / r->call_ns, r->call_ns / r->y_elements,
          kind, r->bytes / stream_ns, r->bytes / r->stream_plain_ns);
  if (r->stream_nt_ns > 0) fprintf(f, "%.6g", r->bytes / r->stream_nt_ns);
  else fputs("null", f);
  fprintf(f, ", \"ratio_to_stream\": %.6g, \"call\": \"%s\"}", bench_row_ratio(r),
          r->plan ? "plan" : "once");
}

int bench_write_json(const char *path, const bench_machine *m,
                     const bench_row *rows, size_t count) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fputs("{\n  \"machine\": {\"cpu\": ", f);
  json_string(f, m->cpu);
  fprintf(f, ", \"cores\": %d, \"isa\": \"%s\", \"stream_isa\": \"%s\", "
          "\"glukit_version\": \"%s\", \"date\": \"%s\", \"command\": ",
          m->cores, m->isa, m->stream_isa, glk_version_string(), m->date);
  json_string(f, m->command);
  fputs("},\n  \"results\": [", f);
  for (size_t i = 0; i < count; i++) {
    fputs(i ? ",\n    " : "\n    ", f);
    json_row(f, &rows[i]);
  }
  fputs("\n  ]\n}\n", f);
  const int failed = ferror(f);
  return fclose(f) == 0 && !failed ? 0 : -1;
}

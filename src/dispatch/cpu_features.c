/*
 * CPUID says what the processor implements; XGETBV says which register
 * states the OS saves across context switches. Both must agree before a
 * kernel may touch YMM or ZMM registers.
 */
#include "dispatch/cpu_features.h"

#include <pthread.h>

static glk_cpu_features glk_features;
static pthread_once_t glk_features_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long glk_xgetbv0(void) {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}

static void glk_detect(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return;
  const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, f16c = (c >> 29) & 1;
  if (!osxsave) return; /* XGETBV unavailable: the OS manages no AVX state */
  const unsigned long long xcr0 = glk_xgetbv0();
  const int os_ymm = (xcr0 & 0x6) == 0x6;    /* SSE and AVX state */
  const int os_zmm = (xcr0 & 0xe6) == 0xe6;  /* + opmask, ZMM_Hi256, Hi16_ZMM */
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
  const unsigned max_sub7 = a;
  const int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1;
  const int avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
  glk_features.avx2 = os_ymm && avx2 && fma && f16c;
  /* DQ for VFPCLASSPS, BW and VL for masked 16-bit loads and stores: every
   * AVX-512 CPU but the Xeon Phi has all three */
  glk_features.avx512 =
      glk_features.avx2 && os_zmm && avx512f && avx512dq && avx512bw && avx512vl;
  if (glk_features.avx512 && max_sub7 >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d))
    glk_features.avx512_bf16 = (a >> 5) & 1;
  /* AMD from Zen on (family 17h and later) runs VPGATHERDD as many
   * micro-ops: on Zen 5 (a 2-vCPU VM, 2026-12-07) one 16-lane gather every
   * 3.7 to 4.6 ns, 0.23 to 0.29 ns a lane (glukit_gather_bench), against
   * 0.16 ns an element for the whole DRAM stream of a bf16 GLU */
  unsigned vendor[3] = {0, 0, 0};
  __get_cpuid(0, &a, &vendor[0], &vendor[2], &vendor[1]);
  const int amd = vendor[0] == 0x68747541u && vendor[1] == 0x69746e65u &&
                  vendor[2] == 0x444d4163u; /* "AuthenticAMD" */
  __get_cpuid(1, &a, &b, &c, &d);
  const unsigned family = ((a >> 8) & 0xf) + (((a >> 8) & 0xf) == 0xf ? (a >> 20) & 0xff : 0);
  glk_features.slow_gather = amd && family >= 0x17;
}
#elif defined(__aarch64__)
static void glk_detect(void) { glk_features.neon = 1; }
#else
static void glk_detect(void) {}
#endif

const glk_cpu_features *glk__cpu_features(void) {
  pthread_once(&glk_features_once, glk_detect);
  return &glk_features;
}

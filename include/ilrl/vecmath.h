/* vecmath.h -- exp, log and tanh written for the vectoriser (SIMD lanes).
 *
 * The network's tanh and the losses' log-sum-exp call exp() and log() about
 * 130 times per sample; glibc's scalar exp() (~9 ns with the division of
 * tanh) was half the time of a loss evaluation.  The kernels below are plain
 * C with no branches and no calls -- range reduction, a polynomial, and the
 * exponent set with integer operations on the bits -- so that a loop over
 * them compiles to SIMD code (2 lanes SSE2, 4 AVX2, 8 AVX-512).
 *
 * Determinism.  The result of an element depends only on its input, never
 * on its neighbours or on where the vector lanes start (the array loops run
 * whole blocks of ILRL_VECTOR_LANES and a tail with the same expression;
 * tests/check_vecmath.c checks this bit for bit).  The hot loops that use
 * these kernels are built in three variants (ILRL_VECTOR_CLONES:
 * x86-64-v4 = AVX-512, x86-64-v3 = AVX2 + FMA, baseline x86-64), picked by
 * the CPU when the program loads.  The v3/v4 variants contract a * b + c
 * into FMA (18% faster tanh, measured), so a result can differ in the last
 * bits between CPUs of different generations -- like OpenBLAS's dgemm,
 * which also picks its kernels by CPU -- but never between runs, ranks or
 * tilings of one binary on one machine (or on one kind of node of a
 * cluster).  Valgrind emulates no AVX-512 and runs the v3 variant.
 * (glibc's libmvec was the alternative: GCC 12 calls it only under
 * -ffast-math, which we do not want for the rest of the code.)
 *
 * Accuracy (tests/check_vecmath.c, against libm over the ranges used):
 * ilrl_exp_kernel <= 4e-16 relative on [-708, 709]; ilrl_log_kernel <= 4e-16
 * relative on positive normal numbers; ilrl_tanh_kernel <= 1e-15 relative
 * everywhere.  Inputs outside [-708, 709] are clamped to it: exp(-708)
 * (3e-308) stands in for the subnormal or zero results below, which no sum
 * of the form 1 + exp(...) can see; exp(709) for the overflow above.
 */
#ifndef ILRL_VECMATH_H
#define ILRL_VECMATH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Variants of a hot loop by instruction set (GCC on x86-64 Linux; one
 * variant elsewhere, and under AddressSanitizer, which dislikes ifuncs). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) \
    && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
#define ILRL_VECTOR_CLONES \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ILRL_VECTOR_CLONES
#endif

/* The kernels are inlined into every variant of the loops that call them
 * (a call would leave the loop scalar). */
#if defined(__GNUC__)
#define ILRL_KERNEL static inline __attribute__((always_inline))
#else
#define ILRL_KERNEL static inline
#endif

/* Lanes that hot loops process together: a whole number of vectors for
 * every variant, so that GCC vectorises the inner loops at -O2 too. */
#define ILRL_VECTOR_LANES 8

ILRL_KERNEL uint64_t ilrl_double_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

ILRL_KERNEL double ilrl_bits_double(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* expm1(r) for |r| <= ln2/2 by its Taylor polynomial to degree 13
 * (truncation < 5e-18 relative), written r + r^2 (1/2 + r/6 + ...) so that
 * small r keep full relative precision. */
ILRL_KERNEL double ilrl_expm1_reduced(double r)
{
    double p = 1.0 / 6227020800.0;                 /* 1/13! */
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r;                                     /* (expm1(r) - r) / r */
    return p * r + r;
}

/* x = k ln2 + r with |r| <= ln2/2 (Cody-Waite, ln2 in two parts so that
 * k ln2_hi is exact); *k2 = 2^k assembled in the exponent bits (k + 1023 in
 * [2, 2046] for x in [-708, 709]).  The round-to-integer uses the
 * 1.5 * 2^52 shifter: no conversions. */
ILRL_KERNEL double ilrl_exp_reduce(double x, double *k2)
{
    const double shifter = 0x1.8p52;
    const double log2e = 0x1.71547652b82fep0;
    const double ln2_hi = 0x1.62e42fee00000p-1;   /* 32 significant bits */
    const double ln2_lo = 0x1.a39ef35793c76p-33;
    double kd = x * log2e + shifter;
    double k = kd - shifter;
    /* k sits in the low bits of kd */
    uint64_t scale = (ilrl_double_bits(kd) - ilrl_double_bits(shifter) + 1023u) << 52;
    *k2 = ilrl_bits_double(scale);
    return (x - k * ln2_hi) - k * ln2_lo;
}

/* exp(x) = 2^k (1 + expm1(r)), x clamped to [-708, 709]. */
ILRL_KERNEL double ilrl_exp_kernel(double x)
{
    x = x < -708.0 ? -708.0 : x;
    x = x > 709.0 ? 709.0 : x;
    double k2;
    double r = ilrl_exp_reduce(x, &k2);
    return (ilrl_expm1_reduced(r) + 1.0) * k2;
}

/* log(x) for positive normal x: x = 2^e m with m in [sqrt(1/2), sqrt(2)),
 * log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172, by its series
 * to s^23 (truncation < 1e-18 relative).  e is formed as a double from the
 * bits (no integer-to-double conversion, which SSE2/AVX2 lack for 64 bits). */
ILRL_KERNEL double ilrl_log_kernel(double x)
{
    const uint64_t sqrt_half = 0x3fe6a09e667f3bcdu;   /* bits of sqrt(1/2) */
    const double ln2_hi = 0x1.62e42fee00000p-1;
    const double ln2_lo = 0x1.a39ef35793c76p-33;
    uint64_t t = ilrl_double_bits(x) - sqrt_half;
    /* (t >> 52) + 1023 wraps to e + 1023 in [1, 2046]; as the low bits of
     * 2^52 it reads back as a double exactly. */
    uint64_t biased = ((t + (UINT64_C(1023) << 52)) >> 52) & 0x7ffu;
    double e = ilrl_bits_double(UINT64_C(0x4330000000000000) | biased)
               - (0x1p52 + 1023.0);
    double m = ilrl_bits_double((t & UINT64_C(0x000fffffffffffff)) + sqrt_half);
    double f = m - 1.0;                                /* exact */
    double s = f / (2.0 + f);
    double s2 = s * s;
    double p = 1.0 / 23.0;
    p = p * s2 + 1.0 / 21.0;
    p = p * s2 + 1.0 / 19.0;
    p = p * s2 + 1.0 / 17.0;
    p = p * s2 + 1.0 / 15.0;
    p = p * s2 + 1.0 / 13.0;
    p = p * s2 + 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    p = p * s2;                                        /* (atanh(s) - s) / s */
    double log_m = 2.0 * s + 2.0 * s * p;
    return e * ln2_hi + (log_m + e * ln2_lo);
}

/* tanh(z) = sign(z) tanh s, s = min(|z|, 20) (tanh 20 rounds to 1):
 * tanh s = -u / (2 + u) with u = expm1(-2s) = (2^k - 1) + 2^k expm1(r).
 * 2^k - 1 is exact for k = 0, -1 (Sterbenz) and |u| >= 1/2 below, so u
 * keeps full relative precision, tiny s included: relative error <= 1e-15
 * against libm's tanh everywhere (tests/check_vecmath.c).  NaN stays NaN. */
ILRL_KERNEL double ilrl_tanh_kernel(double z)
{
    double s = z < 0.0 ? -z : z;
    s = s > 20.0 ? 20.0 : s;
    double k2;
    double r = ilrl_exp_reduce(-2.0 * s, &k2);
    double u = (k2 - 1.0) + k2 * ilrl_expm1_reduced(r);
    double t = u / (2.0 + u);                      /* -tanh s, or +0 */
    /* |t| with the sign of z (bits: vectorises without a branch) */
    const uint64_t sign = UINT64_C(0x8000000000000000);
    return ilrl_bits_double((ilrl_double_bits(t) & ~sign) | (ilrl_double_bits(z) & sign));
}

/* The kernels over arrays, in place (any n; vectorised variants). */
void ilrl_vec_exp(double *v, size_t n);
void ilrl_vec_log(double *v, size_t n);
void ilrl_vec_tanh(double *v, size_t n);

#endif /* ILRL_VECMATH_H */

/* dense_kernel.c -- owns the fused AVX-512 forward pass of dense planes
 * (include/ilrl/dense_kernel.h).  Everything that touches zmm registers is
 * compiled for AVX-512 with a target attribute and only called after
 * __builtin_cpu_supports said yes, so the library still runs on any x86-64
 * (and elsewhere the kernel is simply never chosen). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/dense_kernel.h"

#if defined(__GNUC__) && defined(__x86_64__)
#define HAVE_DENSE_KERNEL 1
#endif

#define ROWS ILRL_DENSE_ROWS
#define TILE_ROWS 3               /* rows per register tile */
#define MAX_PANEL 8               /* zmm (8 outputs each) per register tile row */

struct ilrl_dense_kernel {
    const struct ilrl_mlp *mlp;
    size_t n_slots;               /* points held at once (>= 1) */
    const double **theta;         /* [slot]: the point's parameters (biases,
                                     output layer), borrowed */
    double **weight_t;            /* [slot * (L + 1) + l] for hidden layers
                                     l = 2 .. L-1: W_l^T, sizes[l-1] x
                                     sizes[l], 64-byte aligned */
    double *block[2];             /* ROWS x widest hidden layer, ping-pong */
    double *storage;              /* the one aligned allocation behind them */
};

#ifdef HAVE_DENSE_KERNEL
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512dq")))
#define KERNEL static inline __attribute__((always_inline)) TARGET

/* 2^(j/16), j = 0 .. 15, correctly rounded, as bits minus j << 48 (see
 * tanh8: the index bits j that land in the mantissa are taken back out). */
static const uint64_t exp2_sixteenths[16] __attribute__((aligned(64))) = {
    UINT64_C(0x3ff0000000000000), UINT64_C(0x3fefb5586cf9890f),
    UINT64_C(0x3fef72b83c7d517b), UINT64_C(0x3fef387a6e756238),
    UINT64_C(0x3fef06fe0a31b715), UINT64_C(0x3feedea64c123422),
    UINT64_C(0x3feebfdad5362a27), UINT64_C(0x3feeab07dd485429),
    UINT64_C(0x3feea09e667f3bcd), UINT64_C(0x3feea11473eb0187),
    UINT64_C(0x3feeace5422aa0db), UINT64_C(0x3feec49182a3f090),
    UINT64_C(0x3feee89f995ad3ad), UINT64_C(0x3fef199bdd85529c),
    UINT64_C(0x3fef5818dcfba487), UINT64_C(0x3fefa4afa2a490da),
};

/* tanh of 8 lanes, in 18 instructions: on Zen 4 the zmm shuffles, integer
 * and logic operations share the FMA pipes, so every instruction counts
 * (measured ~0.85 cycles each).
 *
 * z is clamped to [-20, 20] (tanh 20 rounds to 1) by max then min with z as
 * the second operand, so that a NaN comes through as NaN (vrangepd would
 * clamp in one instruction but turns NaN into 20).  2z = (16 m + j) ln2/16 + r, |r| <= ln2/32, with N = 16 m + j from
 * the 1.5 * 2^52 shifter and r = 2 r', r' = z - N ln2/32 by one FMA with
 * ln2/32 rounded: its error, <= |N| ulp(ln2/32)/2 <= 1.6e-15 (|N| <= 924),
 * is a relative error of e^(2z), which moves tanh z by at most 2 e^(-2|z|)
 * times it -- below 1e-17 wherever |N| is large, so no Cody-Waite split.
 * e^(2z) = S e^r with S = 2^m 2^(j/16): the low bits of kd hold N (two's
 * complement) and kd's bits shifted left by 48 are (m << 52) + (j << 48)
 * (the shifter's own bits leave), so adding them to the table entry (bits
 * of 2^(j/16) minus j << 48, picked by vpermt2q on the low 4 bits) gives S.
 * expm1(r) = r' p(r'), p the series sum 2^(n+1) r'^n / (n+1)! to n = 6 with
 * the r'^6 term economised away (Chebyshev on |r'| <= ln2/64): degree 5,
 * relative error 6.4e-16.  u = expm1(2z) = (S - 1) + S expm1(r): S - 1 is
 * exact near 0 (Sterbenz), so u keeps full relative precision for tiny z,
 * and tanh z = u / (u + 2), which rounds to +-1 at the clamp.  Relative
 * error <= 5e-15 against libm: the table's rounding (8.2e-17 for 2^(1/16))
 * is amplified up to 48x where S - 1 cancels, z ~ 0.012
 * (tests/check_dense_kernel.c).  One division: Zen 4's
 * divider takes ~9 cycles per zmm beside the FMA pipes, cheaper here than
 * vrcp14pd and three refining FMAs (measured). */
KERNEL __m512d tanh8(__m512d z)
{
    const __m512d shifter = _mm512_set1_pd(0x1.8p52);
    const __m512i table_lo = _mm512_load_si512(exp2_sixteenths);
    const __m512i table_hi = _mm512_load_si512(exp2_sixteenths + 8);
    z = _mm512_min_pd(_mm512_set1_pd(20.0), _mm512_max_pd(_mm512_set1_pd(-20.0), z));
    __m512d kd = _mm512_fmadd_pd(z, _mm512_set1_pd(0x1.71547652b82fep+5), shifter);
    __m512d k = _mm512_sub_pd(kd, shifter);
    __m512d r = _mm512_fnmadd_pd(k, _mm512_set1_pd(0x1.62e42fefa39efp-6), z);   /* r' */
    __m512i bits = _mm512_castpd_si512(kd);
    __m512i t = _mm512_permutex2var_epi64(table_lo, bits, table_hi);
    __m512d S = _mm512_castsi512_pd(_mm512_add_epi64(t, _mm512_slli_epi64(bits, 48)));
    __m512d p = _mm512_set1_pd(0x1.6c16c16c16c17p-4);
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0x1.11123cf14b8ffp-2));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0x1.5555555555555p-1));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0x1.555555547d381p+0));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0x1.0000000000000p+1));
    p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(0x1.0000000000003p+1));
    __m512d q = _mm512_mul_pd(p, r);                                   /* expm1(2 r') */
    __m512d u = _mm512_fmadd_pd(S, q, _mm512_sub_pd(S, _mm512_set1_pd(1.0)));
    return _mm512_div_pd(u, _mm512_add_pd(u, _mm512_set1_pd(2.0)));
}

TARGET static int tanh_array(double *v, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm512_storeu_pd(v + i, tanh8(_mm512_loadu_pd(v + i)));
    if (i < n) {
        __mmask8 mask = (__mmask8)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_pd(v + i, mask, tanh8(_mm512_maskz_loadu_pd(mask, v + i)));
    }
    return 1;
}

/* Layer 1: out[i, :] = tanh(p0 + x px + y py) for n rows of width w (w a
 * multiple of 8; the products carry the bias). */
TARGET static void first_layer(const double *p0, const double *px, const double *py,
                               double x, double y, size_t n, size_t w, double *out)
{
    const __m512d vx = _mm512_set1_pd(x), vy = _mm512_set1_pd(y);
    for (size_t i = 0; i < n; i++, p0 += w, px += w, py += w, out += w)
        for (size_t j = 0; j < w; j += 8) {
            __m512d z = _mm512_fmadd_pd(vx, _mm512_loadu_pd(px + j), _mm512_loadu_pd(p0 + j));
            z = _mm512_fmadd_pd(vy, _mm512_loadu_pd(py + j), z);
            _mm512_store_pd(out + j, tanh8(z));
        }
}

/* One register tile: R rows x 8J outputs of tanh(in W^T + b), in[] rows of
 * n_in (stride ld_in), W^T rows of stride ld_w starting at the panel, out
 * rows of stride ld_out.  R and J are constants at every call (the switch
 * below), so the accumulators live in registers.  (Taking the output layer
 * from the registers too, or the tanh as a separate pass over the block,
 * measured no faster.) */
KERNEL void tile(const double *in, size_t ld_in, size_t n_in, const double *wt,
                 size_t ld_w, const double *b, double *out, size_t ld_out,
                 const int R, const int J)
{
    __m512d acc[TILE_ROWS][MAX_PANEL];
    _Pragma("GCC unroll 8")
    for (int j = 0; j < J; j++) {
        __m512d bias = _mm512_loadu_pd(b + 8 * j);
        _Pragma("GCC unroll 8")
        for (int r = 0; r < R; r++)
            acc[r][j] = bias;
    }
    for (size_t k = 0; k < n_in; k++, wt += ld_w) {
        __m512d w[MAX_PANEL];
        _Pragma("GCC unroll 8")
        for (int j = 0; j < J; j++) {
            w[j] = _mm512_load_pd(wt + 8 * j);
            /* keep it in a register: GCC would fold the load into each
             * row's FMA, 3 loads instead of 1 (load-port bound) */
            __asm__("" : "+v"(w[j]));
        }
        _Pragma("GCC unroll 8")
        for (int r = 0; r < R; r++) {
            __m512d a = _mm512_set1_pd(in[r * ld_in + k]);
            _Pragma("GCC unroll 8")
            for (int j = 0; j < J; j++)
                acc[r][j] = _mm512_fmadd_pd(a, w[j], acc[r][j]);
        }
    }
    _Pragma("GCC unroll 8")
    for (int r = 0; r < R; r++)
        _Pragma("GCC unroll 8")
        for (int j = 0; j < J; j++)
            _mm512_store_pd(out + r * ld_out + 8 * j, tanh8(acc[r][j]));
}

#define TILE_CASE(R, J) \
    case J: tile(in, ld_in, n_in, wt, ld_w, b, out, ld_out, R, J); break;
#define TILE_SWITCH(R)                                          \
    switch (J) {                                                \
        TILE_CASE(R, 1) TILE_CASE(R, 2) TILE_CASE(R, 3)         \
        TILE_CASE(R, 4) TILE_CASE(R, 5) TILE_CASE(R, 6)         \
        TILE_CASE(R, 7) default: TILE_CASE(R, 8)                \
    }

TARGET static void tile_dispatch(const double *in, size_t ld_in, size_t n_in,
                                 const double *wt, size_t ld_w, const double *b,
                                 double *out, size_t ld_out, int R, int J)
{
    if (R == 3)
        TILE_SWITCH(3)
    else if (R == 2)
        TILE_SWITCH(2)
    else
        TILE_SWITCH(1)
}

/* A hidden layer: out = tanh(in W^T + b), n rows, n_in -> n_out (a multiple
 * of 8), panels of up to 64 outputs, tiles of 3 rows. */
TARGET static void hidden_layer(const double *in, size_t n, size_t n_in, const double *wt,
                                const double *b, size_t n_out, double *out)
{
    for (size_t c = 0; c < n_out; c += 8 * MAX_PANEL) {
        int J = (int)((n_out - c) / 8 < MAX_PANEL ? (n_out - c) / 8 : MAX_PANEL);
        for (size_t i = 0; i < n; i += TILE_ROWS) {
            int R = (int)(n - i < TILE_ROWS ? n - i : TILE_ROWS);
            tile_dispatch(in + i * n_in, n_in, n_in, wt + c, n_out, b + c,
                          out + i * n_out + c, n_out, R, J);
        }
    }
}

/* The output layer: logits[i, k] = b[k] + in[i, :] . W[k, :] (W row-major
 * K x n_in, n_in a multiple of 8). */
TARGET static void output_layer(const double *in, size_t n, size_t n_in, const double *w,
                                const double *b, size_t K, double *logits)
{
    for (size_t i = 0; i < n; i++, in += n_in, logits += K)
        for (size_t k = 0; k < K; k++) {
            const double *wk = w + k * n_in;
            __m512d acc = _mm512_mul_pd(_mm512_load_pd(in), _mm512_loadu_pd(wk));
            for (size_t j = 8; j < n_in; j += 8)
                acc = _mm512_fmadd_pd(_mm512_load_pd(in + j), _mm512_loadu_pd(wk + j), acc);
            logits[k] = _mm512_reduce_add_pd(acc) + b[k];
        }
}

int ilrl_dense_kernel_cpu_supported(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}
#else
int ilrl_dense_kernel_cpu_supported(void)
{
    return 0;
}
#endif /* HAVE_DENSE_KERNEL */

int ilrl_dense_kernel_wanted(void)
{
    const char *choice = getenv("ILRL_DENSE_KERNEL");
    return ilrl_dense_kernel_cpu_supported()
           && (choice == NULL || strcmp(choice, "dgemm") != 0);
}

int ilrl_dense_kernel_fits(const struct ilrl_mlp *mlp)
{
    const size_t L = mlp->n_layers;
    if (L < 2 || mlp->activation != ILRL_ACTIVATION_TANH)
        return 0;
    for (size_t l = 1; l < L; l++)
        if (mlp->sizes[l] % 8 != 0)
            return 0;
    return 1;
}

struct ilrl_dense_kernel *ilrl_dense_kernel_alloc(const struct ilrl_mlp *mlp,
                                                  size_t n_slots, int *out_of_memory)
{
    const size_t L = mlp->n_layers;
    *out_of_memory = 0;
    if (!ilrl_dense_kernel_cpu_supported() || !ilrl_dense_kernel_fits(mlp))
        return NULL;
    size_t widest = 0, per_slot = 0;
    for (size_t l = 1; l < L; l++) {
        widest = mlp->sizes[l] > widest ? mlp->sizes[l] : widest;
        if (l >= 2)
            per_slot += mlp->sizes[l - 1] * mlp->sizes[l];
    }
    n_slots = n_slots > 0 ? n_slots : 1;

    struct ilrl_dense_kernel *kernel = calloc(1, sizeof *kernel);
    if (kernel != NULL) {
        kernel->theta = calloc(n_slots, sizeof *kernel->theta);
        kernel->weight_t = calloc(n_slots * (L + 1), sizeof *kernel->weight_t);
        kernel->storage = aligned_alloc(64, (n_slots * per_slot + 2 * ROWS * widest)
                                                * sizeof(double));
    }
    if (kernel == NULL || kernel->theta == NULL || kernel->weight_t == NULL
        || kernel->storage == NULL) {
        ilrl_dense_kernel_free(kernel);
        *out_of_memory = 1;
        return NULL;
    }
    kernel->mlp = mlp;
    kernel->n_slots = n_slots;
    double *next = kernel->storage;
    for (size_t slot = 0; slot < n_slots; slot++)
        for (size_t l = 2; l < L; l++) {
            kernel->weight_t[slot * (L + 1) + l] = next;
            next += mlp->sizes[l - 1] * mlp->sizes[l];   /* multiples of 8 doubles */
        }
    kernel->block[0] = next;
    kernel->block[1] = next + ROWS * widest;
    return kernel;
}

void ilrl_dense_kernel_free(struct ilrl_dense_kernel *kernel)
{
    if (kernel == NULL)
        return;
    free(kernel->storage);
    free(kernel->weight_t);
    free(kernel->theta);
    free(kernel);
}

void ilrl_dense_kernel_set_theta(struct ilrl_dense_kernel *kernel, size_t slot,
                                 const double *theta)
{
    const struct ilrl_mlp *mlp = kernel->mlp;
    const size_t L = mlp->n_layers;
    kernel->theta[slot] = theta;
    for (size_t l = 2; l < L; l++) {
        const size_t n_in = mlp->sizes[l - 1], n_out = mlp->sizes[l];
        const double *w = theta + mlp->weight_offset[l - 1];
        double *wt = kernel->weight_t[slot * (L + 1) + l];
        for (size_t o = 0; o < n_out; o++)
            for (size_t i = 0; i < n_in; i++)
                wt[i * n_out + o] = w[o * n_in + i];
    }
}

void ilrl_dense_kernel_logits(struct ilrl_dense_kernel *kernel, size_t slot,
                              const double *p0, const double *px, const double *py,
                              double x, double y, size_t n, double *logits)
{
#ifdef HAVE_DENSE_KERNEL
    const struct ilrl_mlp *mlp = kernel->mlp;
    const size_t L = mlp->n_layers, K = mlp->sizes[L], H1 = mlp->sizes[1];
    const double *theta = kernel->theta[slot];
    double *const *weight_t = kernel->weight_t + slot * (L + 1);
    for (size_t start = 0; start < n; start += ROWS) {
        const size_t rows = n - start < ROWS ? n - start : ROWS;
        double *in = kernel->block[0], *out = kernel->block[1];
        first_layer(p0 + start * H1, px + start * H1, py + start * H1, x, y, rows,
                    H1, in);
        for (size_t l = 2; l < L; l++) {
            hidden_layer(in, rows, mlp->sizes[l - 1], weight_t[l],
                         theta + mlp->bias_offset[l - 1], mlp->sizes[l], out);
            double *swap = in;
            in = out;
            out = swap;
        }
        output_layer(in, rows, mlp->sizes[L - 1], theta + mlp->weight_offset[L - 1],
                     theta + mlp->bias_offset[L - 1], K, logits + start * K);
    }
#else
    (void)kernel, (void)slot, (void)p0, (void)px, (void)py, (void)x, (void)y, (void)n,
        (void)logits;
#endif
}

int ilrl_dense_kernel_tanh(double *v, size_t n)
{
#ifdef HAVE_DENSE_KERNEL
    if (ilrl_dense_kernel_cpu_supported())
        return tanh_array(v, n);
#endif
    (void)v, (void)n;
    return 0;
}

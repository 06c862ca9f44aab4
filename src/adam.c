/* adam.c -- owns the Adam optimiser state and its update (include/ilrl/adam.h
 * has the exact formula and why each operation is ordered as it is).
 *
 * Fusing v's update into an FMA (which a build for an FMA-capable CPU does
 * on its own unless told not to) would break the bit-for-bit agreement
 * with PyTorch, so contraction is off for this file and the only fused
 * operation is the explicit fma() of m's update.  On CPUs with AVX2 + FMA
 * the loop runs four entries at a time with the same bits.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/adam.h"
#include "ilrl/error.h"

/* No contraction of a * b + c into an FMA anywhere below, even when the
 * library is built for a CPU that has FMA (-march=native): only the fma()
 * written out is fused, as in PyTorch. */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("-ffp-contract=off")
#endif

struct ilrl_adam *ilrl_adam_alloc(size_t n_params, double lr)
{
    if (n_params == 0) {
        ilrl_error(ILRL_EFAILED, "optimiser: no parameters");
        return NULL;
    }
    if (!(isfinite(lr) && lr > 0.0)) {
        ilrl_error(ILRL_EUSAGE, "--lr %g: the learning rate must be a finite "
                   "number > 0", lr);
        return NULL;
    }
    struct ilrl_adam *adam = calloc(1, sizeof *adam);
    if (adam == NULL)
        goto out_of_memory;
    adam->n_params = n_params;
    adam->lr = lr;
    adam->beta1 = ILRL_ADAM_BETA1;
    adam->beta2 = ILRL_ADAM_BETA2;
    adam->eps = ILRL_ADAM_EPS;
    adam->m = calloc(n_params, sizeof *adam->m);
    adam->v = calloc(n_params, sizeof *adam->v);
    if (adam->m == NULL || adam->v == NULL)
        goto out_of_memory;
    return adam;

out_of_memory:
    ilrl_adam_free(adam);
    ilrl_error(ILRL_EFAILED, "optimiser: out of memory for %zu parameters",
               n_params);
    return NULL;
}

void ilrl_adam_free(struct ilrl_adam *adam)
{
    if (adam == NULL)
        return;
    free(adam->m);
    free(adam->v);
    free(adam);
}

int ilrl_adam_check(const struct ilrl_adam *adam)
{
    if (!(isfinite(adam->lr) && adam->lr > 0.0))
        return ilrl_error(ILRL_EUSAGE, "--lr %g: the learning rate must be a "
                          "finite number > 0", adam->lr);
    if (!(adam->beta1 >= 0.0 && adam->beta1 < 1.0))
        return ilrl_error(ILRL_EUSAGE, "Adam beta1 %g is outside [0, 1)",
                          adam->beta1);
    if (!(adam->beta2 >= 0.0 && adam->beta2 < 1.0))
        return ilrl_error(ILRL_EUSAGE, "Adam beta2 %g is outside [0, 1)",
                          adam->beta2);
    if (!(isfinite(adam->eps) && adam->eps >= 0.0))
        return ilrl_error(ILRL_EUSAGE, "Adam eps %g must be a finite number "
                          ">= 0", adam->eps);
    return ILRL_OK;
}

void ilrl_adam_reset(struct ilrl_adam *adam)
{
    adam->step = 0;
    memset(adam->m, 0, adam->n_params * sizeof *adam->m);
    memset(adam->v, 0, adam->n_params * sizeof *adam->v);
}

/* The update's constants for step t (Python's "1 - beta1 ** step" and
 * friends, in the same order). */
struct coefficients {
    double beta1, beta2, eps;
    double one_minus_beta1, one_minus_beta2;
    double bias_correction2_sqrt;
    double minus_step_size;     /* -(lr / (1 - beta1^t)) */
};

/* Entries [begin, P) one at a time: the reference of the formula. */
static void update_scalar(const struct coefficients *c, size_t begin, size_t P,
                          double *theta, const double *grad, double *m, double *v)
{
    for (size_t k = begin; k < P; k++) {
        double g = grad[k];
        m[k] = fma(g, c->one_minus_beta1, m[k] * c->beta1);
        double scaled = c->one_minus_beta2 * g;
        double decayed = v[k] * c->beta2;
        v[k] = decayed + scaled * g;
        double denom = sqrt(v[k]) / c->bias_correction2_sqrt + c->eps;
        double numerator = c->minus_step_size * m[k];
        theta[k] = theta[k] + numerator / denom;
    }
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#include <immintrin.h>
#define HAVE_UPDATE_AVX2 1

/* The same operations four entries at a time (AVX2 + FMA): every
 * intrinsic is one correctly rounded IEEE operation, so each entry gets
 * the scalar loop's bits.  Written with intrinsics because GCC leaves the
 * scalar loop unvectorised (sqrt's errno path survives the pragma).  libm's
 * fma() through the PLT had made the loop ~8 ns a parameter (45 us a step
 * on 12,64,64,2, tests/bench_train_core). */
__attribute__((target("avx2,fma")))
static size_t update_avx2(const struct coefficients *c, size_t P, double *theta,
                          const double *grad, double *m, double *v)
{
    const __m256d beta1 = _mm256_set1_pd(c->beta1), beta2 = _mm256_set1_pd(c->beta2);
    const __m256d one_minus_beta1 = _mm256_set1_pd(c->one_minus_beta1);
    const __m256d one_minus_beta2 = _mm256_set1_pd(c->one_minus_beta2);
    const __m256d correction2 = _mm256_set1_pd(c->bias_correction2_sqrt);
    const __m256d eps = _mm256_set1_pd(c->eps);
    const __m256d minus_step_size = _mm256_set1_pd(c->minus_step_size);
    size_t k = 0;
    for (; k + 4 <= P; k += 4) {
        __m256d g = _mm256_loadu_pd(grad + k);
        __m256d mk = _mm256_fmadd_pd(g, one_minus_beta1,
                                     _mm256_mul_pd(_mm256_loadu_pd(m + k), beta1));
        __m256d scaled = _mm256_mul_pd(one_minus_beta2, g);
        __m256d decayed = _mm256_mul_pd(_mm256_loadu_pd(v + k), beta2);
        __m256d vk = _mm256_add_pd(decayed, _mm256_mul_pd(scaled, g));
        __m256d denom = _mm256_add_pd(_mm256_div_pd(_mm256_sqrt_pd(vk), correction2), eps);
        __m256d numerator = _mm256_mul_pd(minus_step_size, mk);
        __m256d th = _mm256_add_pd(_mm256_loadu_pd(theta + k),
                                   _mm256_div_pd(numerator, denom));
        _mm256_storeu_pd(m + k, mk);
        _mm256_storeu_pd(v + k, vk);
        _mm256_storeu_pd(theta + k, th);
    }
    return k;
}
#endif

void ilrl_adam_step(struct ilrl_adam *adam, double *theta, const double *grad)
{
    adam->step++;
    const double t = (double)adam->step;
    struct coefficients c;
    c.beta1 = adam->beta1;
    c.beta2 = adam->beta2;
    c.eps = adam->eps;
    c.one_minus_beta1 = 1.0 - adam->beta1;
    c.one_minus_beta2 = 1.0 - adam->beta2;
    c.bias_correction2_sqrt = sqrt(1.0 - pow(adam->beta2, t));
    c.minus_step_size = -(adam->lr / (1.0 - pow(adam->beta1, t)));

    size_t done = 0;
#ifdef HAVE_UPDATE_AVX2
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        done = update_avx2(&c, adam->n_params, theta, grad, adam->m, adam->v);
#endif
    update_scalar(&c, done, adam->n_params, theta, grad, adam->m, adam->v);
}

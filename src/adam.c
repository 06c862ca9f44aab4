/* adam.c -- owns the Adam optimiser state and its update (include/ilrl/adam.h
 * has the exact formula and why each operation is ordered as it is).
 *
 * Fusing v's update into an FMA (which an x86-64-v3 build does on its own
 * unless told not to) would break the bit-for-bit agreement with PyTorch,
 * so contraction is off for this file and the only fused operation is the
 * explicit fma() of m's update.  Cost on 12,64,64,2 (P = 5122): libm's
 * fma() through the PLT made the baseline loop ~8 ns a parameter (40 us a
 * step, measured by tests/bench_train_core); the x86-64-v3 variant inlines
 * it as one instruction.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/adam.h"
#include "ilrl/error.h"

/* No contraction of a * b + c into an FMA anywhere below, even when the
 * library is built for a CPU that has FMA (-march=native): only the fma()
 * written out is fused, as in PyTorch.  (No errno from sqrt either, so
 * that the loop vectorises; a negative v cannot occur.) */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("-ffp-contract=off")
#pragma GCC optimize("-fno-math-errno")
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

/* Two variants picked at load time: x86-64-v3 turns fma() into one
 * vfmadd instruction and vectorises the loop (4 lanes); the baseline calls
 * libm's fma().  Both round every operation identically (no contraction,
 * see the pragma above), so they give the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) \
    && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void ilrl_adam_step(struct ilrl_adam *adam, double *theta, const double *grad)
{
    const size_t P = adam->n_params;
    const double beta1 = adam->beta1, beta2 = adam->beta2, eps = adam->eps;
    const double one_minus_beta1 = 1.0 - beta1, one_minus_beta2 = 1.0 - beta2;
    double *restrict m = adam->m, *restrict v = adam->v;
    double *restrict out = theta;
    const double *restrict g_in = grad;

    adam->step++;
    /* Python's "1 - beta1 ** step" and friends, in the same order. */
    const double t = (double)adam->step;
    const double bias_correction1 = 1.0 - pow(beta1, t);
    const double bias_correction2_sqrt = sqrt(1.0 - pow(beta2, t));
    const double minus_step_size = -(adam->lr / bias_correction1);

    for (size_t k = 0; k < P; k++) {
        double g = g_in[k];
        m[k] = fma(g, one_minus_beta1, m[k] * beta1);
        double scaled = one_minus_beta2 * g;
        double decayed = v[k] * beta2;
        v[k] = decayed + scaled * g;
        double denom = sqrt(v[k]) / bias_correction2_sqrt + eps;
        double numerator = minus_step_size * m[k];
        out[k] = out[k] + numerator / denom;
    }
}

/* vecmath.c -- the vectorisable exp/log/tanh kernels of vecmath.h over
 * arrays.  Each loop runs in blocks of ILRL_VECTOR_LANES elements (a fixed
 * trip count, so GCC vectorises it at -O2) and a scalar tail computing the
 * very same expression, so an element's bits do not depend on where it sits
 * in the array. */
#include "config.h"

#include "ilrl/vecmath.h"

#define LANES ILRL_VECTOR_LANES

ILRL_VECTOR_CLONES
void ilrl_vec_exp(double *v, size_t n)
{
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (size_t j = 0; j < LANES; j++)
            v[i + j] = ilrl_exp_kernel(v[i + j]);
    for (; i < n; i++)
        v[i] = ilrl_exp_kernel(v[i]);
}

ILRL_VECTOR_CLONES
void ilrl_vec_log(double *v, size_t n)
{
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (size_t j = 0; j < LANES; j++)
            v[i + j] = ilrl_log_kernel(v[i + j]);
    for (; i < n; i++)
        v[i] = ilrl_log_kernel(v[i]);
}

ILRL_VECTOR_CLONES
void ilrl_vec_tanh(double *v, size_t n)
{
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (size_t j = 0; j < LANES; j++)
            v[i + j] = ilrl_tanh_kernel(v[i + j]);
    for (; i < n; i++)
        v[i] = ilrl_tanh_kernel(v[i]);
}

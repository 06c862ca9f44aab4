/* vecmath.c -- the vectorisable exp/log/tanh kernels of vecmath.h over
 * arrays.  Each loop runs in blocks of ILRL_VECTOR_LANES elements (a fixed
 * trip count, so GCC vectorises it at -O2) and a scalar tail computing the
 * very same expression, so an element's bits do not depend on where it sits
 * in the array. */
#include "config.h"

#include "ilrl/vecmath.h"

#define LANES ILRL_VECTOR_LANES

/* One in-place loop per kernel: blocks of LANES (vectorised), then the same
 * kernel on the tail.  A macro, not a function taking the kernel, so that
 * each variant inlines its kernel and stays vectorised. */
#define ILRL_VECTOR_LOOP(name, kernel)              \
    ILRL_VECTOR_CLONES                              \
    void name(double *v, size_t n)                  \
    {                                               \
        size_t i = 0;                               \
        for (; i + LANES <= n; i += LANES)          \
            for (size_t j = 0; j < LANES; j++)      \
                v[i + j] = kernel(v[i + j]);        \
        for (; i < n; i++)                          \
            v[i] = kernel(v[i]);                    \
    }

ILRL_VECTOR_LOOP(ilrl_vec_exp, ilrl_exp_kernel)
ILRL_VECTOR_LOOP(ilrl_vec_log, ilrl_log_kernel)
ILRL_VECTOR_LOOP(ilrl_vec_tanh, ilrl_tanh_kernel)

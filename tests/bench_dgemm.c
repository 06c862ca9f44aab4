/* bench_dgemm.c -- the machine's single-thread dgemm rate, for `make bench`'s
 * "% of peak" column: C = A B with 512 x 512 matrices through GSL's CBLAS
 * (OpenBLAS, one thread, as every ilrl-landscape rank runs it), best of 10.
 * Prints one number: GFLOP/s. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_matrix.h>

#include "testutil.h"

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads(int n_threads);
#endif

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 512;
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(1);
#endif
    gsl_matrix *a = gsl_matrix_alloc(n, n), *b = gsl_matrix_alloc(n, n),
               *c = gsl_matrix_calloc(n, n);
    if (a == NULL || b == NULL || c == NULL)
        return 1;
    for (size_t i = 0; i < n * n; i++) {
        a->data[i] = (double)(i % 17) / 17.0 - 0.5;
        b->data[i] = (double)(i % 13) / 13.0 - 0.5;
    }
    double best = 0.0;
    for (int rep = 0; rep < 10; rep++) {
        double t0 = test_now();
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, a, b, 0.0, c);
        double rate = 2.0 * (double)n * (double)n * (double)n / (test_now() - t0) / 1e9;
        best = rate > best ? rate : best;
    }
    printf("%.2f\n", best);
    gsl_matrix_free(a);
    gsl_matrix_free(b);
    gsl_matrix_free(c);
    return 0;
}

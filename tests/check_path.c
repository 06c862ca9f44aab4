/* check_path.c -- training paths (path.h): the trajectory plane's PCA,
 * the projection of a path onto a plane, and reading FILE[:PHASE].
 *
 * Every expected value is computed a second way here:
 *  - the PCA directions from the Gram matrix G = A A^T (n x n): its
 *    eigenvectors v_i (GSL's symmetric eigensolver, not the SVD) mapped
 *    back by d_i = A^T v_i / sigma_i with sigma_i = sqrt(lambda_i), the
 *    sign fixed by path.h's rule (largest-magnitude entry positive) applied
 *    here on its own; explained variances lambda_i / trace(G);
 *  - projections of paths built inside a plane (theta_k = theta0 + a_k d_x
 *    + b_k d_y with chosen a_k, b_k, and d_x, d_y not orthogonal), and off
 *    it by a known vector orthogonal to both.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_vector.h>

#include "ilrl/error.h"
#include "ilrl/landscape_io.h"
#include "ilrl/mlp.h"
#include "ilrl/path.h"
#include "ilrl/trajectory_io.h"
#include "testutil.h"

#define SAME_TOLERANCE 1e-10
#define EXACT_TOLERANCE 1e-12

static double dot(size_t n, const double *a, const double *b)
{
    double sum = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += a[k] * b[k];
    return sum;
}

static void gaussian(gsl_rng *rng, size_t n, double scale, double *out)
{
    for (size_t k = 0; k < n; k++)
        out[k] = scale * gsl_ran_gaussian(rng, 1.0);
}

/* The two leading directions of the rows theta_k - ref from G = A A^T. */
static void gram_directions(size_t n, size_t P, const double *theta, const double *ref,
                            double *d[2], double explained[2])
{
    gsl_matrix *g = gsl_matrix_alloc(n, n), *vectors = gsl_matrix_alloc(n, n);
    gsl_vector *values = gsl_vector_alloc(n);
    gsl_eigen_symmv_workspace *work = gsl_eigen_symmv_alloc(n);
    double trace = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double sum = 0.0;
            for (size_t p = 0; p < P; p++)
                sum += (theta[i * P + p] - ref[p]) * (theta[j * P + p] - ref[p]);
            gsl_matrix_set(g, i, j, sum);
        }
    for (size_t i = 0; i < n; i++)
        trace += gsl_matrix_get(g, i, i);
    gsl_eigen_symmv(g, values, vectors, work);
    gsl_eigen_symmv_sort(values, vectors, GSL_EIGEN_SORT_VAL_DESC);
    for (int i = 0; i < 2; i++) {
        double lambda = gsl_vector_get(values, (size_t)i), sigma = sqrt(lambda);
        explained[i] = lambda / trace;
        for (size_t p = 0; p < P; p++) {
            double sum = 0.0;
            for (size_t k = 0; k < n; k++)
                sum += (theta[k * P + p] - ref[p]) * gsl_matrix_get(vectors, k, (size_t)i);
            d[i][p] = sum / sigma;
        }
        size_t largest = 0;
        for (size_t p = 1; p < P; p++)
            if (fabs(d[i][p]) > fabs(d[i][largest]))
                largest = p;
        if (d[i][largest] < 0.0)
            for (size_t p = 0; p < P; p++)
                d[i][p] = -d[i][p];
    }
    gsl_eigen_symmv_free(work);
    gsl_vector_free(values);
    gsl_matrix_free(vectors);
    gsl_matrix_free(g);
}

/* Loop: 0, 1 -- more parameters than checkpoints (A^T decomposed);
 * 2 -- fewer (A itself); 3 -- a large offset and tiny steps. */
START_TEST(test_pca_matches_gram_eigenvectors)
{
    static const size_t sizes[4][2] = {{7, 40}, {3, 5}, {12, 4}, {9, 30}};
    const size_t n = sizes[_i][0], P = sizes[_i][1];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 17 + (unsigned long)_i);
    double *theta = malloc(n * P * sizeof *theta), *ref = malloc(P * sizeof *ref);
    double *dx = malloc(P * sizeof *dx), *dy = malloc(P * sizeof *dy);
    double *gx = malloc(P * sizeof *gx), *gy = malloc(P * sizeof *gy);
    double *g[2] = {gx, gy}, explained[2], expected[2];
    gaussian(rng, P, _i == 3 ? 100.0 : 1.0, ref);
    for (size_t k = 0; k < n; k++) {
        /* anisotropic steps, so the leading directions are well separated */
        for (size_t p = 0; p < P; p++)
            theta[k * P + p] = ref[p] + (_i == 3 ? 1e-3 : 1.0) * gsl_ran_gaussian(rng, 1.0)
                                        / (1.0 + (double)p);
    }
    ck_assert_int_eq(ilrl_path_pca(n, P, theta, ref, dx, dy, explained), ILRL_OK);
    gram_directions(n, P, theta, ref, g, expected);
    for (size_t p = 0; p < P; p++) {
        ck_assert_double_eq_tol(dx[p], gx[p], SAME_TOLERANCE);
        ck_assert_double_eq_tol(dy[p], gy[p], SAME_TOLERANCE);
    }
    ck_assert_double_eq_tol(dot(P, dx, dx), 1.0, EXACT_TOLERANCE);
    ck_assert_double_eq_tol(dot(P, dy, dy), 1.0, EXACT_TOLERANCE);
    ck_assert_double_le(fabs(dot(P, dx, dy)), EXACT_TOLERANCE);
    for (int i = 0; i < 2; i++) {
        ck_assert_double_eq_tol(explained[i], expected[i], EXACT_TOLERANCE);
        ck_assert(explained[i] >= 0.0 && explained[i] <= 1.0);
    }
    ck_assert(explained[0] >= explained[1]);
    ck_assert_double_le(explained[0] + explained[1], 1.0 + 1e-15);
    /* the same inputs give the same bits */
    double *again = malloc(P * sizeof *again), spare[2];
    ck_assert_int_eq(ilrl_path_pca(n, P, theta, ref, again, gy, spare), ILRL_OK);
    ck_assert_mem_eq(again, dx, P * sizeof *dx);
    free(again);
    free(theta);
    free(ref);
    free(dx);
    free(dy);
    free(gx);
    free(gy);
    gsl_rng_free(rng);
}
END_TEST

/* A path in a plane: explained variances sum to 1, and the directions span
 * the plane (every checkpoint projects with zero residual). */
START_TEST(test_pca_of_planar_path)
{
    const size_t n = 5, P = 12;
    double theta[5 * 12], ref[12], u[12], w[12], dx[12], dy[12], explained[2];
    double x[5], y[5], residual[5];
    for (size_t p = 0; p < P; p++) {
        ref[p] = 0.5 * (double)p - 2.0;
        u[p] = p % 3 == 0 ? 1.0 : 0.25;
        w[p] = p % 2 == 0 ? -0.5 : 2.0;
    }
    for (size_t k = 0; k < n; k++)
        for (size_t p = 0; p < P; p++)
            theta[k * P + p] = ref[p] + (double)k * u[p] + (double)(k * k) * 0.125 * w[p];
    ck_assert_int_eq(ilrl_path_pca(n, P, theta, ref, dx, dy, explained), ILRL_OK);
    ck_assert_double_eq_tol(explained[0] + explained[1], 1.0, EXACT_TOLERANCE);
    ilrl_path_project(n, P, theta, ref, dx, dy, x, y, residual);
    for (size_t k = 0; k < n; k++)
        ck_assert_double_le(residual[k], EXACT_TOLERANCE);
    ck_assert(residual[0] == 0.0 && x[0] == 0.0 && y[0] == 0.0);   /* theta_0 = ref */
}
END_TEST

START_TEST(test_pca_refuses_degenerate_paths)
{
    const size_t P = 6;
    double theta[4 * 6], ref[6], dx[6], dy[6], explained[2];
    for (size_t p = 0; p < P; p++)
        ref[p] = (double)p;
    for (size_t k = 0; k < 4; k++)
        memcpy(theta + k * P, ref, sizeof ref);
    ck_assert_int_eq(ilrl_path_pca(4, P, theta, ref, dx, dy, explained), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "equals the reference"));
    /* on one line through the reference */
    for (size_t k = 0; k < 4; k++)
        for (size_t p = 0; p < P; p++)
            theta[k * P + p] = ref[p] + (double)k * (p % 2 ? 1.0 : -3.0);
    ck_assert_int_eq(ilrl_path_pca(4, P, theta, ref, dx, dy, explained), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "one line"));
}
END_TEST

/* theta_k = theta0 + a_k d_x + b_k d_y (+ c_k n, n orthogonal to both),
 * with d_x, d_y neither unit nor orthogonal. */
START_TEST(test_projection_exact_in_plane_and_residual_off_it)
{
    const size_t n = 6, P = 8;
    static const double a[6] = {0.0, 1.0, -2.5, 0.125, 3.0, -0.75};
    static const double b[6] = {0.0, 0.5, 1.5, -4.0, 0.25, 2.0};
    static const double c[6] = {0.0, 0.0, 1.0, -2.0, 0.5, 0.0};
    double theta0[8], dx[8], dy[8], normal[8], theta[6 * 8], x[6], y[6], residual[6];
    for (size_t p = 0; p < P; p++) {
        theta0[p] = 0.1 * (double)(p * p) - 1.0;
        dx[p] = p < 4 ? 1.0 : 0.5;
        dy[p] = p % 2 ? 1.0 : 0.25;
    }
    /* normal: e_0 - e_1 + e_4 - e_5 style vector orthogonal to both */
    memset(normal, 0, sizeof normal);
    normal[0] = 1.0;
    normal[2] = -1.0;   /* dx: 1 - 1 = 0; dy: 0.25 - 0.25 = 0 */
    ck_assert(dot(P, normal, dx) == 0.0 && dot(P, normal, dy) == 0.0);
    ck_assert(dot(P, dx, dy) != 0.0);
    for (int off = 0; off < 2; off++) {
        for (size_t k = 0; k < n; k++)
            for (size_t p = 0; p < P; p++)
                theta[k * P + p] = theta0[p] + a[k] * dx[p] + b[k] * dy[p]
                                   + (off ? c[k] * normal[p] : 0.0);
        ilrl_path_project(n, P, theta, theta0, dx, dy, x, y, residual);
        for (size_t k = 0; k < n; k++) {
            ck_assert_double_eq_tol(x[k], a[k], EXACT_TOLERANCE);
            ck_assert_double_eq_tol(y[k], b[k], EXACT_TOLERANCE);
            double v[8], vv, expected = 0.0;
            for (size_t p = 0; p < P; p++)
                v[p] = a[k] * dx[p] + b[k] * dy[p] + (off ? c[k] * normal[p] : 0.0);
            vv = sqrt(dot(P, v, v));
            if (off && vv > 0.0)
                expected = fabs(c[k]) * sqrt(dot(P, normal, normal)) / vv;
            ck_assert_double_eq_tol(residual[k], expected, EXACT_TOLERANCE);
        }
        ck_assert(residual[0] == 0.0 && x[0] == 0.0 && y[0] == 0.0);
    }
}
END_TEST

/* ---- FILE[:PHASE] ---- */

static void setup_scratch(void)
{
    test_scratch_create("check_path");
}

/* A trajectory of a 3,4,2 network with checkpoints of the given phases. */
static const char *write_trajectory(const char *name, const int *phases, size_t n)
{
    size_t sizes[3] = {3, 4, 2};
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, 3, ILRL_ACTIVATION_TANH);
    struct ilrl_trajectory traj;
    const char *path = test_scratch_path(name);
    double *theta = malloc(mlp->n_params * sizeof *theta);
    ck_assert_int_eq(ilrl_trajectory_init(&traj, mlp->n_params), ILRL_OK);
    for (size_t k = 0; k < n; k++) {
        for (size_t p = 0; p < mlp->n_params; p++)
            theta[p] = (double)k + 0.01 * (double)p;
        ck_assert_int_eq(ilrl_trajectory_add_checkpoint(&traj, theta, (long long)(10 * k),
                                                        (long long)(100 * k), phases[k]),
                         ILRL_OK);
    }
    ck_assert_int_eq(ilrl_trajectory_write(path, &traj, mlp, "settings", NULL, 0, NULL, 0),
                     ILRL_OK);
    ilrl_trajectory_free(&traj);
    ilrl_mlp_free(mlp);
    free(theta);
    return path;
}

START_TEST(test_read_phase_filter)
{
    static const int phases[5] = {0, 0, 1, 1, 1};
    const char *file = write_trajectory("t.nc", phases, 5);
    char spec[4200];
    struct ilrl_path path;
    static const char *suffix[3] = {"", ":il", ":rl"};
    static const size_t expected_n[3] = {5, 2, 3}, first[3] = {0, 0, 2};
    for (int s = 0; s < 3; s++) {
        snprintf(spec, sizeof spec, "%s%s", file, suffix[s]);
        ck_assert_int_eq(ilrl_path_read("--path", spec, &path), ILRL_OK);
        ck_assert_uint_eq(path.n_checkpoints, expected_n[s]);
        ck_assert_int_eq(path.index[0], (long long)first[s]);
        ck_assert_int_eq(path.update[0], 10 * (long long)first[s]);
        ck_assert_int_eq(path.env_steps[0], 100 * (long long)first[s]);
        ck_assert_double_eq(path.theta[0], (double)first[s]);
        ck_assert_str_eq(path.file, file);
        ck_assert_uint_eq(path.mlp->sizes[1], 4);
        ilrl_path_free(&path);
    }
}
END_TEST

START_TEST(test_read_refusals)
{
    static const int phases[3] = {0, 0, 0};
    const char *file = write_trajectory("il-only.nc", phases, 3);
    char spec[4200];
    struct ilrl_path path;
    snprintf(spec, sizeof spec, "%s:rl", file);
    ck_assert_int_eq(ilrl_path_read("--path", spec, &path), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "none of its 3 checkpoints is of phase rl"));
    ilrl_path_free(&path);
    snprintf(spec, sizeof spec, "%s:late", file);
    ck_assert_int_eq(ilrl_path_read("--path", spec, &path), ILRL_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "PHASE 'late' is not il, rl or all"));
    ilrl_path_free(&path);
    ck_assert_int_eq(ilrl_path_read("--path", test_scratch_path("missing.nc"), &path),
                     ILRL_EINPUT);
    ilrl_path_free(&path);
    const char *none = write_trajectory("none.nc", phases, 0);
    ck_assert_int_eq(ilrl_path_read("--path", none, &path), ILRL_EINPUT);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "no checkpoint"));
    ilrl_path_free(&path);
}
END_TEST

/* The path arrays and attributes through the landscape file and back, bit
 * for bit, NaN (not computed) included; with td_loss, every grid array has
 * its path_ twin. */
START_TEST(test_landscape_file_round_trip)
{
    const size_t n = 4, P = 5;
    struct ilrl_landscape *l = ilrl_landscape_alloc(3, 2, P, 1), *back = NULL;
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(ilrl_landscape_add_value_arrays(l, 1, 0), ILRL_OK);
    for (size_t k = 0; k < 6; k++) {
        l->computed[k] = 1;
        double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
        size_t n_arrays = ilrl_landscape_point_arrays(l, arrays);
        for (size_t a = 0; a < n_arrays; a++)
            arrays[a][k] = 0.5 * (double)(k + a);
    }
    for (size_t p = 0; p < P; p++) {
        l->theta0[p] = 0.1 * (double)p;
        l->direction_x[p] = p == 0;
        l->direction_y[p] = p == 1;
    }
    l->meta.n_layer_sizes = 3;
    l->meta.layer_sizes = malloc(3 * sizeof(int));
    l->meta.layer_sizes[0] = 1;
    l->meta.layer_sizes[1] = 1;
    l->meta.layer_sizes[2] = 2;
    ck_assert_int_eq(ilrl_landscape_set_string(&l->meta.plane, "trajectory:run.nc:rl"), ILRL_OK);
    ck_assert_int_eq(ilrl_landscape_set_string(&l->meta.theta_file, "run.nc"), ILRL_OK);
    l->meta.theta_checkpoint = 7;
    l->meta.explained_variance[0] = 0.75;
    l->meta.explained_variance[1] = 0.125;
    ck_assert_int_eq(ilrl_landscape_add_path(l, n), ILRL_OK);
    ck_assert_uint_eq(l->path->n_values, 7);   /* il, rl, td, 4 return statistics */
    ck_assert_int_eq(ilrl_landscape_set_string(&l->meta.path_file, "run.nc"), ILRL_OK);
    ck_assert_int_eq(ilrl_landscape_set_string(&l->meta.path_phase, "rl"), ILRL_OK);
    for (size_t k = 0; k < n; k++) {
        l->path->x[k] = -1.5 + (double)k;
        l->path->y[k] = 1.0 / (3.0 + (double)k);
        l->path->residual[k] = 0.01 * (double)k;
        for (size_t a = 0; a < l->path->n_values; a++)
            l->path->values[a][k] = k == 2 && a == 5 ? NAN : (double)(a * 10 + k) / 7.0;
        l->path->phase[k] = 1;
        l->path->env_steps[k] = 1000000000000LL + (long long)k;
        l->path->update[k] = 16 * (long long)k;
        l->path->index[k] = 5 + (long long)k;
    }
    const char *file = test_scratch_path("with-path.nc");
    ck_assert_int_eq(ilrl_landscape_write(file, l, 0), ILRL_OK);
    ck_assert_int_eq(ilrl_landscape_read(file, &back), ILRL_OK);
    ck_assert_ptr_nonnull(back->path);
    ck_assert_uint_eq(back->path->n, n);
    ck_assert_uint_eq(back->path->n_values, l->path->n_values);
    ck_assert_mem_eq(back->path->x, l->path->x, n * sizeof(double));
    ck_assert_mem_eq(back->path->y, l->path->y, n * sizeof(double));
    ck_assert_mem_eq(back->path->residual, l->path->residual, n * sizeof(double));
    for (size_t a = 0; a < l->path->n_values; a++)
        ck_assert_mem_eq(back->path->values[a], l->path->values[a], n * sizeof(double));
    ck_assert_mem_eq(back->path->phase, l->path->phase, n * sizeof(int));
    ck_assert_mem_eq(back->path->env_steps, l->path->env_steps, n * sizeof(long long));
    ck_assert_mem_eq(back->path->update, l->path->update, n * sizeof(long long));
    ck_assert_mem_eq(back->path->index, l->path->index, n * sizeof(long long));
    ck_assert_str_eq(back->meta.path_file, "run.nc");
    ck_assert_str_eq(back->meta.path_phase, "rl");
    ck_assert_str_eq(back->meta.theta_file, "run.nc");
    ck_assert_int_eq(back->meta.theta_checkpoint, 7);
    ck_assert_double_eq(back->meta.explained_variance[0], 0.75);
    ck_assert_double_eq(back->meta.explained_variance[1], 0.125);
    ilrl_landscape_free(back);
    /* a new path replaces the old one (its memory freed: valgrind, LSan) */
    ck_assert_int_eq(ilrl_landscape_add_path(l, 1), ILRL_OK);
    ck_assert_uint_eq(l->path->n, 1);
    ilrl_landscape_free(l);
    /* without a path nor a file theta0: no arrays, "" / -1 / NaN */
    l = ilrl_landscape_alloc(1, 1, 2, 0);
    l->computed[0] = 1;
    l->il_loss[0] = l->rl_loss[0] = 1.0;
    l->direction_x[0] = l->direction_y[1] = 1.0;
    l->meta.n_layer_sizes = 2;
    l->meta.layer_sizes = malloc(2 * sizeof(int));
    l->meta.layer_sizes[0] = 1;
    l->meta.layer_sizes[1] = 2;
    file = test_scratch_path("no-path.nc");
    ck_assert_int_eq(ilrl_landscape_write(file, l, 0), ILRL_OK);
    ck_assert_int_eq(ilrl_landscape_read(file, &back), ILRL_OK);
    ck_assert_ptr_null(back->path);
    ck_assert_str_eq(back->meta.theta_file, "");
    ck_assert_int_eq(back->meta.theta_checkpoint, -1);
    ck_assert(isnan(back->meta.explained_variance[0]));
    ilrl_landscape_free(back);
    ilrl_landscape_free(l);
}
END_TEST

Suite *path_suite(void)
{
    Suite *suite = suite_create("path");
    TCase *pca = tcase_create("pca");
    tcase_add_loop_test(pca, test_pca_matches_gram_eigenvectors, 0, 4);
    tcase_add_test(pca, test_pca_of_planar_path);
    tcase_add_test(pca, test_pca_refuses_degenerate_paths);
    suite_add_tcase(suite, pca);
    TCase *projection = tcase_create("projection");
    tcase_add_test(projection, test_projection_exact_in_plane_and_residual_off_it);
    suite_add_tcase(suite, projection);
    TCase *files = tcase_create("files");
    tcase_add_checked_fixture(files, setup_scratch, test_scratch_remove);
    tcase_add_test(files, test_read_phase_filter);
    tcase_add_test(files, test_read_refusals);
    tcase_add_test(files, test_landscape_file_round_trip);
    suite_add_tcase(suite, files);
    return suite;
}

/* check_mlp.c -- the policy network: shape, layer lists, parameter names,
 * seeded initialisation, forward passes and the stable log-softmax. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_rng.h>

#include "ilrl/error.h"
#include "ilrl/mlp.h"

static struct ilrl_mlp *make_mlp(const char *layers, enum ilrl_activation activation)
{
    size_t *sizes, n_sizes;
    ck_assert_int_eq(ilrl_mlp_parse_layers(layers, &sizes, &n_sizes), ILRL_OK);
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, n_sizes, activation);
    free(sizes);
    ck_assert_ptr_nonnull(mlp);
    return mlp;
}

/* ---- shape and layer lists -------------------------------------------- */

START_TEST(test_shape_and_layout_offsets)
{
    struct ilrl_mlp *mlp = make_mlp("12,64,64,2", ILRL_ACTIVATION_TANH);
    ck_assert_uint_eq(mlp->n_layers, 3);
    ck_assert_uint_eq(mlp->n_params, 12 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
    ck_assert_uint_eq(mlp->weight_offset[0], 0);
    ck_assert_uint_eq(mlp->bias_offset[0], 768);
    ck_assert_uint_eq(mlp->weight_offset[1], 832);
    ck_assert_uint_eq(mlp->bias_offset[1], 832 + 4096);
    ck_assert_uint_eq(mlp->weight_offset[2], 832 + 4096 + 64);
    ck_assert_uint_eq(mlp->bias_offset[2], 832 + 4096 + 64 + 128);
    ilrl_mlp_free(mlp);
    ilrl_mlp_free(NULL);
}
END_TEST

START_TEST(test_parse_layers_accepts_lists)
{
    size_t *sizes, n_sizes;
    ck_assert_int_eq(ilrl_mlp_parse_layers("12,64,64,2", &sizes, &n_sizes), ILRL_OK);
    ck_assert_uint_eq(n_sizes, 4);
    ck_assert_uint_eq(sizes[0], 12);
    ck_assert_uint_eq(sizes[1], 64);
    ck_assert_uint_eq(sizes[2], 64);
    ck_assert_uint_eq(sizes[3], 2);
    free(sizes);
    ck_assert_int_eq(ilrl_mlp_parse_layers("3,2", &sizes, &n_sizes), ILRL_OK);
    ck_assert_uint_eq(n_sizes, 2);
    free(sizes);
}
END_TEST

/* Each bad list fails with EUSAGE, leaves *sizes NULL and names the list
 * and what is wrong with it. */
static const struct {
    const char *text;
    const char *message_part;
} bad_layer_lists[] = {
    {"12,,2", "item 2 is empty"},
    {"12,0,2", "item 2 is 0"},
    {"12", "at least an input and an output"},
    {"x", "item 1 'x' is not a whole number"},
    {"", "empty layer list"},
    {"12,64,", "item 3 is empty"},
    {",12,2", "item 1 is empty"},
    {"12,-3,2", "item 2 '-3'"},
    {"12, 3", "item 2 ' 3'"},
    {"12,3x", "item 2 '3x'"},
    {"12,99999999999999999999999,2", "not a whole number"},
};

START_TEST(test_parse_layers_rejects_bad_lists)
{
    size_t *sizes = (size_t *)&sizes, n_sizes = 99;
    const char *text = bad_layer_lists[_i].text;
    ilrl_error_clear();
    ck_assert_int_eq(ilrl_mlp_parse_layers(text, &sizes, &n_sizes), ILRL_EUSAGE);
    ck_assert_ptr_null(sizes);
    ck_assert_uint_eq(n_sizes, 0);
    ck_assert_msg(strstr(ilrl_error_message(), bad_layer_lists[_i].message_part),
                  "'%s': message '%s' lacks '%s'", text, ilrl_error_message(),
                  bad_layer_lists[_i].message_part);
    ck_assert_msg(strstr(ilrl_error_message(), "--layers"),
                  "message '%s' does not name --layers", ilrl_error_message());
}
END_TEST

START_TEST(test_alloc_rejects_bad_shapes)
{
    size_t one_output[] = {4, 3, 1}, zero[] = {4, 0, 2}, single[] = {4};
    ck_assert_ptr_null(ilrl_mlp_alloc(one_output, 3, ILRL_ACTIVATION_TANH));
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "at least 2"));
    ck_assert_ptr_null(ilrl_mlp_alloc(zero, 3, ILRL_ACTIVATION_TANH));
    ck_assert_ptr_null(ilrl_mlp_alloc(single, 1, ILRL_ACTIVATION_RELU));
}
END_TEST

START_TEST(test_activation_names)
{
    enum ilrl_activation activation;
    ck_assert_int_eq(ilrl_activation_parse("tanh", &activation), ILRL_OK);
    ck_assert_int_eq(activation, ILRL_ACTIVATION_TANH);
    ck_assert_int_eq(ilrl_activation_parse("relu", &activation), ILRL_OK);
    ck_assert_int_eq(activation, ILRL_ACTIVATION_RELU);
    ck_assert_str_eq(ilrl_activation_name(ILRL_ACTIVATION_TANH), "tanh");
    ck_assert_str_eq(ilrl_activation_name(ILRL_ACTIVATION_RELU), "relu");
    ck_assert_int_eq(ilrl_activation_parse("sigmoid", &activation), ILRL_EUSAGE);
    ck_assert_ptr_nonnull(strstr(ilrl_error_message(), "sigmoid"));
    ck_assert_int_eq(ilrl_activation_parse("TANH", &activation), ILRL_EUSAGE);
}
END_TEST

/* ---- parameter names ---------------------------------------------------- */

START_TEST(test_param_names_round_trip_every_index)
{
    struct ilrl_mlp *mlp = make_mlp("12,7,5,3", ILRL_ACTIVATION_TANH);
    char name[64];
    for (size_t index = 0; index < mlp->n_params; index++) {
        size_t back = (size_t)-1;
        ck_assert_int_eq(ilrl_mlp_param_name(mlp, index, name, sizeof name), ILRL_OK);
        ck_assert_int_eq(ilrl_mlp_param_index(mlp, name, &back), ILRL_OK);
        ck_assert_uint_eq(back, index);
    }
    ck_assert_int_eq(ilrl_mlp_param_name(mlp, mlp->n_params, name, sizeof name),
                     ILRL_EUSAGE);
    ck_assert_str_eq(name, "");
    ilrl_mlp_free(mlp);
}
END_TEST

START_TEST(test_param_names_follow_layout)
{
    struct ilrl_mlp *mlp = make_mlp("12,7,5,3", ILRL_ACTIVATION_TANH);
    char name[64];
    size_t index;
    /* W1 is 7 x 12 row-major at 0, b1 at 84, W2 (5 x 7) at 91, b2 at 126,
     * W3 (3 x 5) at 131, b3 at 146; P = 149. */
    ck_assert_uint_eq(mlp->n_params, 149);
    ck_assert_int_eq(ilrl_mlp_param_index(mlp, "W1[0,0]", &index), ILRL_OK);
    ck_assert_uint_eq(index, 0);
    ck_assert_int_eq(ilrl_mlp_param_index(mlp, "W1[1,0]", &index), ILRL_OK);
    ck_assert_uint_eq(index, 12);
    ck_assert_int_eq(ilrl_mlp_param_index(mlp, "b1[6]", &index), ILRL_OK);
    ck_assert_uint_eq(index, 90);
    ck_assert_int_eq(ilrl_mlp_param_index(mlp, "W2[4,3]", &index), ILRL_OK);
    ck_assert_uint_eq(index, 91 + 4 * 7 + 3);
    ck_assert_int_eq(ilrl_mlp_param_index(mlp, "b3[2]", &index), ILRL_OK);
    ck_assert_uint_eq(index, 148);
    ilrl_mlp_param_name(mlp, 91 + 4 * 7 + 3, name, sizeof name);
    ck_assert_str_eq(name, "W2[4,3]");
    ilrl_mlp_param_name(mlp, 126, name, sizeof name);
    ck_assert_str_eq(name, "b2[0]");
    /* A short buffer is cut but terminated. */
    ilrl_mlp_param_name(mlp, 91 + 4 * 7 + 3, name, 4);
    ck_assert_str_eq(name, "W2[");
    ilrl_mlp_free(mlp);
}
END_TEST

static const struct {
    const char *name;
    const char *message_part;
} bad_param_names[] = {
    {"W4[0,0]", "layer 4 does not exist; the network has 3 layer(s)"},
    {"W0[0,0]", "layer 0 does not exist"},
    {"b4[0]", "layer 4 does not exist"},
    {"W2[5,0]", "unit 5 is outside [0, 5)"},
    {"W2[0,7]", "input 7 is outside [0, 7)"},
    {"b1[7]", "unit 7 is outside [0, 7)"},
    {"b3[3]", "unit 3 is outside [0, 3)"},
    {"W1[0]", "is not a parameter name"},
    {"b1[0,0]", "is not a parameter name"},
    {"w1[0,0]", "is not a parameter name"},
    {"W1[0,0] ", "is not a parameter name"},
    {"W1[ 0,0]", "is not a parameter name"},
    {"W1[-1,0]", "is not a parameter name"},
    {"W[0,0]", "is not a parameter name"},
    {"W1(0,0)", "is not a parameter name"},
    {"W1[0,0", "is not a parameter name"},
    {"", "is not a parameter name"},
    {"W1[99999999999999999999999,0]", "is not a parameter name"},
};

START_TEST(test_param_index_rejects_bad_names)
{
    struct ilrl_mlp *mlp = make_mlp("12,7,5,3", ILRL_ACTIVATION_TANH);
    size_t index = 12345;
    const char *name = bad_param_names[_i].name;
    ilrl_error_clear();
    ck_assert_int_eq(ilrl_mlp_param_index(mlp, name, &index), ILRL_EUSAGE);
    ck_assert_uint_eq(index, 12345);
    const char *message = ilrl_error_message();
    ck_assert_msg(strstr(message, bad_param_names[_i].message_part),
                  "'%s': message '%s' lacks '%s'", name, message,
                  bad_param_names[_i].message_part);
    ck_assert_msg(name[0] == '\0' || strstr(message, name),
                  "message '%s' does not name '%s'", message, name);
    ilrl_mlp_free(mlp);
}
END_TEST

/* ---- initialisation ------------------------------------------------------ */

START_TEST(test_init_reproducible_bounded_in_layout_order)
{
    struct ilrl_mlp *mlp = make_mlp("12,7,5,3", ILRL_ACTIVATION_TANH);
    size_t P = mlp->n_params;
    double *theta = malloc(P * sizeof *theta);
    double *again = malloc(P * sizeof *again);
    double *other = malloc(P * sizeof *other);
    ck_assert_int_eq(ilrl_mlp_init(mlp, 1, theta), ILRL_OK);
    ck_assert_int_eq(ilrl_mlp_init(mlp, 1, again), ILRL_OK);
    ck_assert_int_eq(ilrl_mlp_init(mlp, 2, other), ILRL_OK);
    ck_assert_int_eq(memcmp(theta, again, P * sizeof *theta), 0);
    ck_assert_int_ne(memcmp(theta, other, P * sizeof *theta), 0);

    /* Every entry within its layer's bound 1/sqrt(fan_in). */
    for (size_t l = 1; l <= mlp->n_layers; l++) {
        double bound = 1.0 / sqrt((double)mlp->sizes[l - 1]);
        double largest = 0.0;
        for (size_t i = mlp->weight_offset[l - 1];
             i < mlp->bias_offset[l - 1] + mlp->sizes[l]; i++) {
            ck_assert_double_le(fabs(theta[i]), bound);
            largest = fmax(largest, fabs(theta[i]));
        }
        ck_assert_double_gt(largest, 0.5 * bound);   /* spread, not all ~0 */
    }

    /* Layout order: the draws of a gsl_rng_mt19937 seeded with 1, mapped to
     * [-a, a) with layer 1's a = 1/sqrt(12) for W1 and b1 (indices 0..90),
     * then a = 1/sqrt(7) from W2[0,0] (index 91). */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1);
    for (size_t i = 0; i < 100; i++) {
        double a = 1.0 / sqrt(i < 91 ? 12.0 : 7.0);
        double expected = -a + 2.0 * a * gsl_rng_uniform(rng);
        ck_assert_msg(theta[i] == expected, "theta[%zu] = %.17g, expected %.17g",
                      i, theta[i], expected);
    }
    gsl_rng_free(rng);
    free(theta);
    free(again);
    free(other);
    ilrl_mlp_free(mlp);
}
END_TEST

/* ---- forward passes ------------------------------------------------------- */

/* A 2-3-2 network by hand: W1 = [[1,0],[0,1],[1,-1]], b1 = [0, 0.5, -1],
 * W2 = [[1,1,1],[2,0,-1]], b2 = [0.25, 0]. */
START_TEST(test_forward_matches_hand_calculation)
{
    static const double theta[] = {1, 0, 0, 1, 1, -1, 0, 0.5, -1,
                                   1, 1, 1, 2, 0, -1, 0.25, 0};
    static const double x[] = {0.5, -2.0, 0.0, 0.0};
    size_t sizes[] = {2, 3, 2};
    for (int act = 0; act < 2; act++) {
        struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, 3, (enum ilrl_activation)act);
        ck_assert_uint_eq(mlp->n_params, sizeof theta / sizeof theta[0]);
        struct ilrl_mlp_work *work = ilrl_mlp_work_alloc(mlp, 2);
        ck_assert_uint_eq(ilrl_mlp_work_max_batch(work), 2);
        const double *z = ilrl_mlp_forward(mlp, theta, x, 2, work);
        ck_assert_ptr_nonnull(z);
        for (int s = 0; s < 2; s++) {
            double pre[3] = {x[2 * s], x[2 * s + 1] + 0.5, x[2 * s] - x[2 * s + 1] - 1};
            double h[3];
            for (int j = 0; j < 3; j++)
                h[j] = act == ILRL_ACTIVATION_TANH ? tanh(pre[j]) : fmax(pre[j], 0.0);
            double z0 = h[0] + h[1] + h[2] + 0.25, z1 = 2 * h[0] - h[2];
            ck_assert_double_eq_tol(z[2 * s], z0, 1e-15);
            ck_assert_double_eq_tol(z[2 * s + 1], z1, 1e-15);
        }
        ck_assert_ptr_null(ilrl_mlp_forward(mlp, theta, x, 3, work));
        ck_assert_ptr_null(ilrl_mlp_forward(mlp, theta, x, 0, work));
        ilrl_mlp_work_free(work);
        ilrl_mlp_free(mlp);
    }
    ilrl_mlp_work_free(NULL);
}
END_TEST

/* The hidden tanh against libm's tanh(): a 1-1-2 network with W1 = 1,
 * b1 = 0, W2 = (1, 0), b2 = 0 has logit 0 = tanh(x).  The library computes
 * tanh with its own vectorisable kernel (see src/mlp.c); its relative error
 * must stay at rounding level, tiny inputs included, and the saturated ends
 * must be exactly +-1. */
START_TEST(test_tanh_matches_libm)
{
    size_t sizes[] = {1, 1, 2};
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, 3, ILRL_ACTIVATION_TANH);
    const double theta[] = {1, 0, 1, 0, 0, 0};
    enum { n = 4001 };
    double *x = malloc(n * sizeof *x);
    for (int i = 0; i < n; i++)
        x[i] = -20.0 + 40.0 * i / (n - 1);   /* includes 0 */
    struct ilrl_mlp_work *work = ilrl_mlp_work_alloc(mlp, n);
    const double *z = ilrl_mlp_forward(mlp, theta, x, n, work);
    double worst = 0.0;
    for (int i = 0; i < n; i++)
        if (x[i] != 0.0)
            worst = fmax(worst, fabs(z[2 * i] - tanh(x[i])) / fabs(tanh(x[i])));
    ck_assert_msg(worst <= 1e-15, "largest relative tanh error %.3g", worst);
    ck_assert_double_eq(z[2 * (n / 2)], 0.0);

    const double extreme[] = {1e-300, -1e-300, 1e3, -1e3, 1e300, -1e300,
                              400.0, -400.0};
    z = ilrl_mlp_forward(mlp, theta, extreme, 8, work);
    /* tanh(x) = x for tiny x (no cancellation in the expm1 form) */
    ck_assert_double_eq(z[0], 1e-300);
    ck_assert_double_eq(z[2], -1e-300);
    for (int i = 2; i < 8; i++)
        ck_assert_double_eq(z[2 * i], i % 2 ? -1.0 : 1.0);
    free(x);
    ilrl_mlp_work_free(work);
    ilrl_mlp_free(mlp);
}
END_TEST

START_TEST(test_forward_one_agrees_with_batched)
{
    enum ilrl_activation act = (enum ilrl_activation)_i;
    struct ilrl_mlp *mlp = make_mlp("12,64,64,2", act);
    const size_t n = 300, D = 12, K = 2;
    double *theta = malloc(mlp->n_params * sizeof *theta);
    double *x = malloc(n * D * sizeof *x);
    ck_assert_int_eq(ilrl_mlp_init(mlp, 7, theta), ILRL_OK);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    for (size_t i = 0; i < n * D; i++)
        x[i] = -3.0 + 6.0 * gsl_rng_uniform(rng);
    gsl_rng_free(rng);

    struct ilrl_mlp_work *work = ilrl_mlp_work_alloc(mlp, n);
    const double *z = ilrl_mlp_forward(mlp, theta, x, n, work);
    double *batched = malloc(n * K * sizeof *batched);
    memcpy(batched, z, n * K * sizeof *batched);
    for (size_t s = 0; s < n; s++) {
        double logits[2];
        ilrl_mlp_forward_one(mlp, theta, x + s * D, logits, work);
        for (size_t a = 0; a < K; a++)
            ck_assert_double_eq_tol(logits[a], batched[s * K + a], 1e-12);
    }
    /* forward_one leaves the batch's activations alone. */
    ck_assert_int_eq(memcmp(ilrl_mlp_forward(mlp, theta, x, n, work), batched,
                            n * K * sizeof *batched), 0);
    free(batched);
    free(theta);
    free(x);
    ilrl_mlp_work_free(work);
    ilrl_mlp_free(mlp);
}
END_TEST

/* ---- row-wise batches: every row's bits whatever the batch ------------------ */

static const struct {
    const char *layers;
    enum ilrl_activation activation;
} row_shapes[] = {
    {"12,64,64,2", ILRL_ACTIVATION_TANH},
    {"12,64,64,2", ILRL_ACTIVATION_RELU},
    {"5,13,3", ILRL_ACTIVATION_TANH},       /* widths off the 8- and 4-lane blocks */
    {"4,20,8,36,3", ILRL_ACTIVATION_TANH},
};

/* Row i of a batch of n (every n in 1..64, the rows a window of 64 random
 * inputs at two offsets, so a row sits at every position with different
 * neighbours) has exactly forward_one's logits and the same hidden
 * activations as a batch of one.  Also measures, without asserting it,
 * whether OpenBLAS's dgemm path (ilrl_mlp_forward) has this property on
 * this machine: for 12,64,64,2 it printed 3969 of 4096 rows differing on the
 * development machine (OpenBLAS 0.3.21, Zen kernels), the reason the
 * lockstep rollouts do not use it. */
START_TEST(test_forward_rows_is_row_invariant)
{
    struct ilrl_mlp *mlp = make_mlp(row_shapes[_i].layers, row_shapes[_i].activation);
    const size_t N = 64, D = mlp->sizes[0], K = mlp->sizes[mlp->n_layers];
    double *theta = malloc(mlp->n_params * sizeof *theta);
    double *packed = malloc(ilrl_mlp_packed_size(mlp) * sizeof *packed);
    double *x = malloc(N * D * sizeof *x);
    double *one = malloc(N * K * sizeof *one), *alone = malloc(N * K * sizeof *alone);
    ck_assert_int_eq(ilrl_mlp_init(mlp, 11, theta), ILRL_OK);
    ilrl_mlp_pack(mlp, theta, packed);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 5);
    for (size_t i = 0; i < N * D; i++)
        x[i] = -3.0 + 6.0 * gsl_rng_uniform(rng);
    gsl_rng_free(rng);
    struct ilrl_mlp_work *work = ilrl_mlp_work_alloc(mlp, N);
    for (size_t i = 0; i < N; i++)
        ilrl_mlp_forward_one(mlp, theta, x + i * D, one + i * K, work);
    for (size_t i = 0; i < N; i++)
        memcpy(alone + i * K, ilrl_mlp_forward(mlp, theta, x + i * D, 1, work), K * sizeof *alone);
    size_t dgemm_differ = 0;
    for (size_t n = 1; n <= N; n++) {
        for (size_t start = 0; start <= N - n; start += (N - n > 0 ? N - n : 1)) {
            const double *z = ilrl_mlp_forward_rows(mlp, theta, packed, x + start * D, n, work);
            ck_assert_ptr_nonnull(z);
            for (size_t i = 0; i < n; i++)
                if (memcmp(z + i * K, one + (start + i) * K, K * sizeof *z) != 0)
                    ck_abort_msg("%s: row %zu of a batch of %zu (input %zu) differs from "
                                 "forward_one: %.17g vs %.17g", row_shapes[_i].layers, i, n,
                                 start + i, z[i * K], one[(start + i) * K]);
            z = ilrl_mlp_forward(mlp, theta, x + start * D, n, work);
            for (size_t i = 0; i < n; i++)
                dgemm_differ += memcmp(z + i * K, alone + (start + i) * K, K * sizeof *z) != 0;
            if (N - n == 0)
                break;
        }
    }
    printf("check_mlp: %s %s: dgemm path, rows differing from a batch of one: %zu of %zu\n",
           row_shapes[_i].layers, ilrl_activation_name(row_shapes[_i].activation), dgemm_differ,
           N * N);
    ck_assert_ptr_null(ilrl_mlp_forward_rows(mlp, theta, packed, x, 0, work));
    ck_assert_ptr_null(ilrl_mlp_forward_rows(mlp, theta, packed, x, N + 1, work));
    free(theta);
    free(packed);
    free(x);
    free(one);
    free(alone);
    ilrl_mlp_work_free(work);
    ilrl_mlp_free(mlp);
}
END_TEST

/* ---- log-softmax ------------------------------------------------------------ */

START_TEST(test_log_softmax_is_stable)
{
    double out[3];
    double big[] = {1e3, -1e3};
    double lse = ilrl_log_softmax(big, 2, out);
    ck_assert_double_eq(lse, 1e3);
    ck_assert_double_eq(out[0], 0.0);
    ck_assert_double_eq(out[1], -2e3);

    double both_low[] = {-1e3, -1e3};
    lse = ilrl_log_softmax(both_low, 2, out);
    ck_assert_double_eq_tol(lse, -1e3 + log(2.0), 1e-12);
    ck_assert_double_eq_tol(out[0], -log(2.0), 1e-15);
    ck_assert_double_eq_tol(out[1], -log(2.0), 1e-15);

    double both_high[] = {1e3, 1e3, 1e3};
    lse = ilrl_log_softmax(both_high, 3, out);
    ck_assert_double_eq_tol(lse, 1e3 + log(3.0), 1e-12);
    for (int a = 0; a < 3; a++)
        ck_assert_double_eq_tol(out[a], -log(3.0), 1e-15);

    double mixed[] = {-1e3, 0.0, 1e3};
    lse = ilrl_log_softmax(mixed, 3, out);
    ck_assert(isfinite(lse) && isfinite(out[0]) && isfinite(out[1]));
    ck_assert_double_eq(out[2], 0.0);
    ck_assert_double_eq(out[1], -1e3);
    ck_assert_double_eq(out[0], -2e3);

    /* Moderate logits against the textbook formula; out may be NULL. */
    double small[] = {0.3, -1.2, 2.0};
    double direct = log(exp(0.3) + exp(-1.2) + exp(2.0));
    ck_assert_double_eq_tol(ilrl_log_softmax(small, 3, NULL), direct, 1e-15);
    ilrl_log_softmax(small, 3, out);
    ck_assert_double_eq_tol(exp(out[0]) + exp(out[1]) + exp(out[2]), 1.0, 1e-15);
    ck_assert_double_eq_tol(out[1], -1.2 - direct, 1e-15);
}
END_TEST

Suite *mlp_suite(void)
{
    Suite *suite = suite_create("mlp");
    TCase *shape = tcase_create("shape");
    tcase_add_test(shape, test_shape_and_layout_offsets);
    tcase_add_test(shape, test_parse_layers_accepts_lists);
    tcase_add_loop_test(shape, test_parse_layers_rejects_bad_lists, 0,
                        (int)(sizeof bad_layer_lists / sizeof bad_layer_lists[0]));
    tcase_add_test(shape, test_alloc_rejects_bad_shapes);
    tcase_add_test(shape, test_activation_names);
    suite_add_tcase(suite, shape);

    TCase *names = tcase_create("names");
    tcase_add_test(names, test_param_names_round_trip_every_index);
    tcase_add_test(names, test_param_names_follow_layout);
    tcase_add_loop_test(names, test_param_index_rejects_bad_names, 0,
                        (int)(sizeof bad_param_names / sizeof bad_param_names[0]));
    suite_add_tcase(suite, names);

    TCase *init = tcase_create("init");
    tcase_add_test(init, test_init_reproducible_bounded_in_layout_order);
    suite_add_tcase(suite, init);

    TCase *forward = tcase_create("forward");
    tcase_add_test(forward, test_forward_matches_hand_calculation);
    tcase_add_test(forward, test_tanh_matches_libm);
    tcase_add_loop_test(forward, test_forward_one_agrees_with_batched, 0, 2);
    tcase_add_test(forward, test_log_softmax_is_stable);
    tcase_add_loop_test(forward, test_forward_rows_is_row_invariant, 0,
                        (int)(sizeof row_shapes / sizeof row_shapes[0]));
    suite_add_tcase(suite, forward);
    return suite;
}

/* check_plane.c -- the plane a landscape is drawn on: --plane parsing and
 * names, the weights plane's unit vectors, the random plane's filter
 * normalisation, the gradients plane, and the fallback of a degenerate
 * gradients plane.
 *
 * Every expected direction is computed a second way here, never by calling
 * into plane.c's own helpers:
 *  - random[:SEED]: GSL's mt19937 seeded SEED, P Gaussian draws for d_x then
 *    P for d_y, then each weight row rescaled to the norm of theta0's row
 *    (Li et al. 2018) and every bias entry 0.  Rows are located through the
 *    parameter names ("W2[i,j]"), not plane.c's offset arithmetic.
 *  - gradients: the loss gradients by backpropagation (ilrl_loss_eval) and,
 *    independently, by central finite differences of the losses.
 *  - the degenerate fallback (README.md, "Degenerate gradient plane"): the
 *    missing direction is random:1's d_x with its component along the other
 *    direction removed, normalised -- compared with ilrl_plane_build's own
 *    random:1 plane and with the independent construction above.
 * Degenerate planes are built from demonstrations that force them exactly:
 * all RL weights equal to c makes L_RL = c L_IL (parallel for c > 0,
 * anti-parallel for c < 0, a vanishing RL gradient for c = 0); a network
 * whose output layer is zero, shown each observation once with each action,
 * has pi = 1/2 everywhere and an IL gradient that is exactly zero.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "ilrl/error.h"
#include "ilrl/loss.h"
#include "ilrl/mlp.h"
#include "ilrl/plane.h"

/* Directions computed two ways agree to rounding of a few dozen terms. */
#define SAME_TOLERANCE 1e-12
/* Central differences with h = 1e-6 (1 + |theta_k|): truncation ~h^2 and
 * rounding ~1e-16 / h, both far below this on normalised directions. */
#define FD_TOLERANCE 1e-6

/* ---- fixture: a network, theta0 and a demonstration's loss data ------------ */

struct fixture {
    struct ilrl_mlp *mlp;
    size_t P;
    double *theta0;
    size_t N, D;
    double *obs;
    int *action;
    double *weight;
    struct ilrl_loss_data data;
    struct ilrl_loss_work *work;
};

/* `layers` e.g. "4,6,5,2"; theta0 = twice the seeded initialisation (units
 * in tanh's curved part); N random samples with weights in [-1, 2). */
static void fixture_make(struct fixture *f, const char *layers, size_t N,
                         unsigned long seed)
{
    size_t *sizes, n_sizes;
    memset(f, 0, sizeof *f);
    ck_assert_int_eq(ilrl_mlp_parse_layers(layers, &sizes, &n_sizes), ILRL_OK);
    f->mlp = ilrl_mlp_alloc(sizes, n_sizes, ILRL_ACTIVATION_TANH);
    free(sizes);
    ck_assert_ptr_nonnull(f->mlp);
    f->P = f->mlp->n_params;
    f->D = f->mlp->sizes[0];
    f->N = N;
    f->theta0 = malloc(f->P * sizeof *f->theta0);
    f->obs = malloc(N * f->D * sizeof *f->obs);
    f->action = malloc(N * sizeof *f->action);
    f->weight = malloc(N * sizeof *f->weight);
    ck_assert(f->theta0 && f->obs && f->action && f->weight);
    ck_assert_int_eq(ilrl_mlp_init(f->mlp, seed, f->theta0), ILRL_OK);
    for (size_t k = 0; k < f->P; k++)
        f->theta0[k] *= 2.0;

    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed + 100);
    size_t K = f->mlp->sizes[f->mlp->n_layers];
    for (size_t t = 0; t < N; t++) {
        for (size_t j = 0; j < f->D; j++)
            f->obs[t * f->D + j] = gsl_ran_gaussian(rng, 1.0);
        f->action[t] = (int)gsl_rng_uniform_int(rng, K);
        f->weight[t] = -1.0 + 3.0 * gsl_rng_uniform(rng);
    }
    gsl_rng_free(rng);
    f->data = (struct ilrl_loss_data){f->N, f->D, f->obs, f->action, f->weight};
    ck_assert_int_eq(ilrl_loss_data_check(f->mlp, &f->data), ILRL_OK);
    f->work = ilrl_loss_work_alloc(f->mlp, N);
    ck_assert_ptr_nonnull(f->work);
}

static void fixture_free(struct fixture *f)
{
    ilrl_loss_work_free(f->work);
    ilrl_mlp_free(f->mlp);
    free(f->theta0);
    free(f->obs);
    free(f->action);
    free(f->weight);
}

/* ---- vector helpers ------------------------------------------------------------ */

static double dot(size_t n, const double *a, const double *b)
{
    double sum = 0.0;
    for (size_t k = 0; k < n; k++)
        sum += a[k] * b[k];
    return sum;
}

static double norm(size_t n, const double *a)
{
    return sqrt(dot(n, a, a));
}

/* a <- (a - (a . u) u) / |...| for a unit u (NULL: only normalise). */
static void orthonormalise(size_t n, const double *u, double *a)
{
    if (u != NULL) {
        double along = dot(n, a, u);
        for (size_t k = 0; k < n; k++)
            a[k] -= along * u[k];
    }
    double length = norm(n, a);
    ck_assert_msg(length > 0.0, "orthonormalise: nothing left");
    for (size_t k = 0; k < n; k++)
        a[k] /= length;
}

static void assert_same_vector(size_t n, const double *got, const double *want,
                               double tolerance, const char *what,
                               const struct ilrl_mlp *mlp)
{
    double scale = fmax(norm(n, want), 1e-300);
    for (size_t k = 0; k < n; k++) {
        char name[64];
        if (fabs(got[k] - want[k]) <= tolerance * scale)
            continue;
        ilrl_mlp_param_name(mlp, k, name, sizeof name);
        ck_abort_msg("%s: entry %s is %.17g, expected %.17g (tolerance %g)", what, name,
                     got[k], want[k], tolerance * scale);
    }
}

static size_t index_of(const struct ilrl_mlp *mlp, const char *name)
{
    size_t index = (size_t)-1;
    ck_assert_msg(ilrl_mlp_param_index(mlp, name, &index) == ILRL_OK, "%s: %s", name,
                  ilrl_error_message());
    return index;
}

/* ---- independent constructions ------------------------------------------------ */

/* random:SEED built a second way (see the header comment). */
static void expected_random(const struct ilrl_mlp *mlp, const double *theta0,
                            unsigned long seed, double *dx, double *dy)
{
    size_t P = mlp->n_params;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    for (size_t k = 0; k < P; k++)
        dx[k] = gsl_ran_gaussian(rng, 1.0);
    for (size_t k = 0; k < P; k++)
        dy[k] = gsl_ran_gaussian(rng, 1.0);
    gsl_rng_free(rng);

    double *d[2] = {dx, dy};
    size_t *row = malloc(mlp->sizes[0] * sizeof *row);
    for (size_t layer = 1; layer <= mlp->n_layers; layer++) {
        size_t n_in = mlp->sizes[layer - 1], n_out = mlp->sizes[layer];
        row = realloc(row, n_in * sizeof *row);
        ck_assert_ptr_nonnull(row);
        for (size_t unit = 0; unit < n_out; unit++) {
            char name[64];
            for (size_t input = 0; input < n_in; input++) {
                snprintf(name, sizeof name, "W%zu[%zu,%zu]", layer, unit, input);
                row[input] = index_of(mlp, name);
            }
            snprintf(name, sizeof name, "b%zu[%zu]", layer, unit);
            size_t bias = index_of(mlp, name);
            long double theta_sq = 0.0L;
            for (size_t input = 0; input < n_in; input++)
                theta_sq += (long double)theta0[row[input]] * theta0[row[input]];
            for (int which = 0; which < 2; which++) {
                long double d_sq = 0.0L;
                for (size_t input = 0; input < n_in; input++)
                    d_sq += (long double)d[which][row[input]] * d[which][row[input]];
                long double factor = d_sq > 0.0L ? sqrtl(theta_sq / d_sq) : 0.0L;
                for (size_t input = 0; input < n_in; input++)
                    d[which][row[input]] = (double)(factor * d[which][row[input]]);
                d[which][bias] = 0.0;
            }
        }
    }
    free(row);
}

/* Both loss gradients by central differences of ilrl_loss_eval's values. */
static void finite_difference_gradients(struct fixture *f, const double *theta0,
                                        double *fd_il, double *fd_rl)
{
    double *theta = malloc(f->P * sizeof *theta);
    memcpy(theta, theta0, f->P * sizeof *theta);
    for (size_t k = 0; k < f->P; k++) {
        double h = 1e-6 * (1.0 + fabs(theta0[k])), il[2], rl[2];
        theta[k] = theta0[k] + h;
        ilrl_loss_eval(f->mlp, theta, &f->data, f->work, &il[0], &rl[0], NULL, NULL);
        theta[k] = theta0[k] - h;
        ilrl_loss_eval(f->mlp, theta, &f->data, f->work, &il[1], &rl[1], NULL, NULL);
        theta[k] = theta0[k];
        fd_il[k] = (il[0] - il[1]) / (2.0 * h);
        fd_rl[k] = (rl[0] - rl[1]) / (2.0 * h);
    }
    free(theta);
}

/* The plane `text` for the fixture; asserts the build succeeds. */
struct built {
    double *dx, *dy;
    double cosine;
    int degenerate;
};

static struct built build(struct fixture *f, const char *text, const double *theta0)
{
    struct ilrl_plane_spec spec;
    struct built b;
    ck_assert_msg(ilrl_plane_parse(text, f->mlp, &spec) == ILRL_OK, "%s: %s", text,
                  ilrl_error_message());
    b.dx = malloc(f->P * sizeof *b.dx);
    b.dy = malloc(f->P * sizeof *b.dy);
    ck_assert(b.dx != NULL && b.dy != NULL);
    int status = ilrl_plane_build(&spec, f->mlp, theta0, &f->data, f->work, b.dx, b.dy,
                                  &b.cosine, &b.degenerate);
    ck_assert_msg(status == ILRL_OK, "%s: status %d: %s", text, status,
                  ilrl_error_message());
    for (size_t k = 0; k < f->P; k++)
        ck_assert_msg(isfinite(b.dx[k]) && isfinite(b.dy[k]), "%s: entry %zu not finite",
                      text, k);
    return b;
}

static void built_free(struct built *b)
{
    free(b->dx);
    free(b->dy);
}

/* ---- parsing and names -------------------------------------------------------- */

START_TEST(test_parse_format_round_trip)
{
    struct fixture f;
    fixture_make(&f, "4,6,5,2", 10, 1);
    static const char *canonical[] = {
        "weights:W3[1,0],W3[1,1]", "weights:b1[5],W2[0,3]", "weights:W1[0,0],b3[1]",
        "weights:b2[0],b2[4]", "random:1", "random:0", "random:4294967295", "gradients"};
    for (size_t i = 0; i < sizeof canonical / sizeof canonical[0]; i++) {
        struct ilrl_plane_spec spec;
        char text[2 * ILRL_PLANE_NAME_SIZE + 16];
        ck_assert_msg(ilrl_plane_parse(canonical[i], f.mlp, &spec) == ILRL_OK, "%s: %s",
                      canonical[i], ilrl_error_message());
        ilrl_plane_format(&spec, text, sizeof text);
        ck_assert_str_eq(text, canonical[i]);
    }

    /* Shorthands and defaults. */
    struct ilrl_plane_spec spec;
    char text[2 * ILRL_PLANE_NAME_SIZE + 16];
    static const char *random_one[] = {"random", "random:1", "random:0001"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(ilrl_plane_parse(random_one[i], f.mlp, &spec), ILRL_OK);
        ck_assert_int_eq(spec.kind, ILRL_PLANE_RANDOM);
        ck_assert_uint_eq(spec.random_seed, 1);
    }
    ck_assert_int_eq(ilrl_plane_parse("random:12345", f.mlp, &spec), ILRL_OK);
    ck_assert_uint_eq(spec.random_seed, 12345);
    /* The fallback of a degenerate gradients plane is random:1. */
    ck_assert_int_eq(ilrl_plane_parse("gradients", f.mlp, &spec), ILRL_OK);
    ck_assert_int_eq(spec.kind, ILRL_PLANE_GRADIENTS);
    ck_assert_uint_eq(spec.random_seed, 1);
    /* Default: the flap logit's weights from the last hidden layer's units
     * 0 and 1 (README.md, "Default plane"). */
    static const char *defaults[] = {NULL, "", "weights"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(ilrl_plane_parse(defaults[i], f.mlp, &spec), ILRL_OK);
        ilrl_plane_format(&spec, text, sizeof text);
        ck_assert_str_eq(text, "weights:W3[1,0],W3[1,1]");
    }
    fixture_free(&f);

    /* A last hidden layer of one unit pairs its weight with the flap bias;
     * three logits: the last one is the flap. */
    fixture_make(&f, "3,1,2", 4, 1);
    ck_assert_int_eq(ilrl_plane_parse("", f.mlp, &spec), ILRL_OK);
    ilrl_plane_format(&spec, text, sizeof text);
    ck_assert_str_eq(text, "weights:W2[1,0],b2[1]");
    fixture_free(&f);
    fixture_make(&f, "3,4,3", 4, 1);
    ck_assert_int_eq(ilrl_plane_parse("", f.mlp, &spec), ILRL_OK);
    ilrl_plane_format(&spec, text, sizeof text);
    ck_assert_str_eq(text, "weights:W2[2,0],W2[2,1]");
    fixture_free(&f);
}
END_TEST

/* Malformed --plane values: EUSAGE, one line naming the option and value. */
START_TEST(test_parse_refuses_malformed)
{
    struct fixture f;
    fixture_make(&f, "4,6,5,2", 10, 1);
    static const char *bad[] = {
        "random:", "random:x", "random:-1", "random:+1", "random:1x", "random:4294967296",
        "random:99999999999999999999", "random7", "randoms", "gradient", "gradients:1",
        "weights:", "weights:W3[1,0]", "weights:b1[5]", "weights:W3[1,0],", "weights:b1[5],",
        "weights:W1[0,0]W1[0,1]", "weight:W1[0,0],W1[0,1]", "Random:1", "plane",
        "weights:W1[0,0],W1[0,0000000000000000000000000000000000000000000000000000000000000001]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ilrl_plane_spec spec;
        ilrl_error_clear();
        ck_assert_msg(ilrl_plane_parse(bad[i], f.mlp, &spec) == ILRL_EUSAGE,
                      "'%s' was accepted", bad[i]);
        const char *message = ilrl_error_message();
        ck_assert_msg(strstr(message, "--plane") != NULL, "'%s': %s", bad[i], message);
        ck_assert_msg(strchr(message, '\n') == NULL, "'%s': two lines", bad[i]);
        /* The value is quoted whole, so the user sees what was refused. */
        ck_assert_msg(strstr(message, bad[i]) != NULL, "'%s': %s", bad[i], message);
    }
    fixture_free(&f);
}
END_TEST

/* ---- weights planes ------------------------------------------------------------ */

START_TEST(test_weights_plane_unit_vectors)
{
    struct fixture f;
    fixture_make(&f, "4,6,5,2", 50, 2);
    static const char *planes[][3] = {
        {"weights", "W3[1,0]", "W3[1,1]"},
        {"weights:W3[1,0],W3[1,1]", "W3[1,0]", "W3[1,1]"},
        {"weights:b1[5],W2[4,5]", "b1[5]", "W2[4,5]"},
        {"weights:W1[0,0],b3[1]", "W1[0,0]", "b3[1]"},
        {"weights:W2[0,3],W1[5,3]", "W2[0,3]", "W1[5,3]"},
        {"weights:b2[0],b2[4]", "b2[0]", "b2[4]"}};
    for (size_t i = 0; i < sizeof planes / sizeof planes[0]; i++) {
        struct built b = build(&f, planes[i][0], f.theta0);
        size_t ix = index_of(f.mlp, planes[i][1]), iy = index_of(f.mlp, planes[i][2]);
        for (size_t k = 0; k < f.P; k++) {
            ck_assert_msg(b.dx[k] == (k == ix ? 1.0 : 0.0), "%s: d_x[%zu] = %g",
                          planes[i][0], k, b.dx[k]);
            ck_assert_msg(b.dy[k] == (k == iy ? 1.0 : 0.0), "%s: d_y[%zu] = %g",
                          planes[i][0], k, b.dy[k]);
        }
        ck_assert_int_eq(b.degenerate, 0);

        /* theta(x, y) moves exactly the two named entries. */
        double *theta = malloc(f.P * sizeof *theta);
        ilrl_plane_point(f.P, f.theta0, b.dx, b.dy, 0.75, -2.5, theta);
        for (size_t k = 0; k < f.P; k++) {
            double want = f.theta0[k] + (k == ix ? 0.75 : 0.0) + (k == iy ? -2.5 : 0.0);
            ck_assert_double_eq(theta[k], want);
        }
        free(theta);
        built_free(&b);
    }
    fixture_free(&f);
}
END_TEST

/* Names the network does not have, or one weight twice: EUSAGE naming it. */
START_TEST(test_weights_plane_refuses_bad_names)
{
    struct fixture f;
    fixture_make(&f, "4,6,5,2", 10, 1);
    static const char *bad[][2] = {
        {"weights:W4[0,0],W3[1,1]", "W4[0,0]"},   /* no layer 4 */
        {"weights:W0[0,0],W3[1,1]", "W0[0,0]"},   /* layers count from 1 */
        {"weights:W3[2,0],W3[1,1]", "W3[2,0]"},   /* 2 logits */
        {"weights:W3[1,0],W3[1,5]", "W3[1,5]"},   /* 5 inputs */
        {"weights:W1[0,4],W1[0,0]", "W1[0,4]"},   /* 4 features */
        {"weights:b1[6],W1[0,0]", "b1[6]"},       /* 6 hidden units */
        {"weights:W1[0,0],b4[0]", "b4[0]"},
        {"weights:W1[0, 0],W1[0,1]", "W1[0, 0]"}, /* no spaces */
        {"weights:w1[0,0],W1[0,1]", "w1[0,0]"},
        {"weights:W1[0,0],W1[0,1]x", "W1[0,1]x"},
        {"weights:W1[0],W1[0,1]", "W1[0]"},
        {"weights:b1[0,0],W1[0,1]", "b1[0,0]"},
        {"weights:W1[-1,0],W1[0,1]", "W1[-1,0]"},
        {"weights:W2[3,1],W2[3,1]", "same weight"},
        {"weights:b3[1],b3[1]", "same weight"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ilrl_plane_spec spec;
        double *dx = calloc(f.P, sizeof *dx), *dy = calloc(f.P, sizeof *dy);
        double cosine;
        int degenerate, status;
        ilrl_error_clear();
        status = ilrl_plane_parse(bad[i][0], f.mlp, &spec);
        if (status == ILRL_OK)   /* names are checked against the network here */
            status = ilrl_plane_build(&spec, f.mlp, f.theta0, &f.data, f.work, dx, dy,
                                      &cosine, &degenerate);
        ck_assert_msg(status == ILRL_EUSAGE, "'%s': status %d", bad[i][0], status);
        const char *message = ilrl_error_message();
        ck_assert_msg(strstr(message, "--plane") != NULL, "'%s': %s", bad[i][0], message);
        ck_assert_msg(strstr(message, bad[i][1]) != NULL, "'%s': %s", bad[i][0], message);
        ck_assert_msg(strchr(message, '\n') == NULL, "'%s': two lines", bad[i][0]);
        free(dx);
        free(dy);
    }
    fixture_free(&f);
}
END_TEST

/* ---- random planes ------------------------------------------------------------- */

/* _i: 0 = "random" (seed 1), 1 = random:7, 2 = random:4294967295; on a
 * 3-layer tanh network and a 1-layer (logistic) one. */
START_TEST(test_random_plane_filter_normalised)
{
    static const char *planes[] = {"random", "random:7", "random:4294967295"};
    static const unsigned long seeds[] = {1, 7, 4294967295UL};
    static const char *layers[] = {"4,6,5,2", "12,64,64,2", "3,2"};
    for (size_t n = 0; n < 3; n++) {
        struct fixture f;
        fixture_make(&f, layers[n], 20, 3 + n);
        struct built b = build(&f, planes[_i], f.theta0);
        double *want_x = malloc(f.P * sizeof *want_x), *want_y = malloc(f.P * sizeof *want_y);
        expected_random(f.mlp, f.theta0, seeds[_i], want_x, want_y);
        assert_same_vector(f.P, b.dx, want_x, SAME_TOLERANCE, "random d_x", f.mlp);
        assert_same_vector(f.P, b.dy, want_y, SAME_TOLERANCE, "random d_y", f.mlp);
        ck_assert_int_eq(b.degenerate, 0);

        /* The property itself: each weight row of d has theta0's row norm,
         * biases are exactly 0. */
        for (size_t layer = 1; layer <= f.mlp->n_layers; layer++) {
            size_t n_in = f.mlp->sizes[layer - 1];
            for (size_t unit = 0; unit < f.mlp->sizes[layer]; unit++) {
                char name[64];
                double theta_sq = 0.0, x_sq = 0.0, y_sq = 0.0;
                for (size_t input = 0; input < n_in; input++) {
                    snprintf(name, sizeof name, "W%zu[%zu,%zu]", layer, unit, input);
                    size_t k = index_of(f.mlp, name);
                    theta_sq += f.theta0[k] * f.theta0[k];
                    x_sq += b.dx[k] * b.dx[k];
                    y_sq += b.dy[k] * b.dy[k];
                }
                ck_assert_double_eq_tol(sqrt(x_sq), sqrt(theta_sq), 1e-13 * sqrt(theta_sq));
                ck_assert_double_eq_tol(sqrt(y_sq), sqrt(theta_sq), 1e-13 * sqrt(theta_sq));
                snprintf(name, sizeof name, "b%zu[%zu]", layer, unit);
                size_t k = index_of(f.mlp, name);
                ck_assert_double_eq(b.dx[k], 0.0);
                ck_assert_double_eq(b.dy[k], 0.0);
            }
        }
        /* Two different directions (d_y continues the stream, not a copy). */
        ck_assert_double_lt(fabs(dot(f.P, b.dx, b.dy)) / (norm(f.P, b.dx) * norm(f.P, b.dy)),
                            0.9);
        free(want_x);
        free(want_y);
        built_free(&b);
        fixture_free(&f);
    }
}
END_TEST

/* A row of theta0 that is zero gets a zero row of d (no norm to borrow);
 * seeds give different planes; the same seed gives the same bits. */
START_TEST(test_random_plane_zero_rows_and_seeds)
{
    struct fixture f;
    fixture_make(&f, "4,6,5,2", 20, 4);
    char name[64];
    for (size_t input = 0; input < 6; input++) {
        snprintf(name, sizeof name, "W2[3,%zu]", input);
        f.theta0[index_of(f.mlp, name)] = 0.0;
    }
    struct built b = build(&f, "random:5", f.theta0);
    double *want_x = malloc(f.P * sizeof *want_x), *want_y = malloc(f.P * sizeof *want_y);
    expected_random(f.mlp, f.theta0, 5, want_x, want_y);
    assert_same_vector(f.P, b.dx, want_x, SAME_TOLERANCE, "random:5 d_x", f.mlp);
    assert_same_vector(f.P, b.dy, want_y, SAME_TOLERANCE, "random:5 d_y", f.mlp);
    for (size_t input = 0; input < 6; input++) {
        snprintf(name, sizeof name, "W2[3,%zu]", input);
        ck_assert_double_eq(b.dx[index_of(f.mlp, name)], 0.0);
        ck_assert_double_eq(b.dy[index_of(f.mlp, name)], 0.0);
    }

    struct built again = build(&f, "random:5", f.theta0);
    ck_assert_int_eq(memcmp(again.dx, b.dx, f.P * sizeof *b.dx), 0);
    ck_assert_int_eq(memcmp(again.dy, b.dy, f.P * sizeof *b.dy), 0);
    struct built other = build(&f, "random:6", f.theta0);
    ck_assert_int_ne(memcmp(other.dx, b.dx, f.P * sizeof *b.dx), 0);
    free(want_x);
    free(want_y);
    built_free(&b);
    built_free(&again);
    built_free(&other);
    fixture_free(&f);
}
END_TEST

/* ---- gradients planes ---------------------------------------------------------- */

/* _i: the RL weights are random (0), all positive (1), on a relu network (2). */
START_TEST(test_gradients_plane_orthonormal)
{
    struct fixture f;
    fixture_make(&f, "4,6,5,2", 300, 6 + (unsigned long)_i);
    if (_i == 1)
        for (size_t t = 0; t < f.N; t++)
            f.weight[t] = 0.5 + fabs(f.weight[t]);
    if (_i == 2)
        f.mlp->activation = ILRL_ACTIVATION_RELU;
    size_t P = f.P;
    double *g_il = malloc(P * sizeof *g_il), *g_rl = malloc(P * sizeof *g_rl);
    double *fd_il = malloc(P * sizeof *fd_il), *fd_rl = malloc(P * sizeof *fd_rl);
    double *want = malloc(P * sizeof *want);
    ilrl_loss_eval(f.mlp, f.theta0, &f.data, f.work, NULL, NULL, g_il, g_rl);
    finite_difference_gradients(&f, f.theta0, fd_il, fd_rl);

    struct built b = build(&f, "gradients", f.theta0);
    ck_assert_int_eq(b.degenerate, 0);
    ck_assert_double_eq_tol(norm(P, b.dx), 1.0, 1e-14);
    ck_assert_double_eq_tol(norm(P, b.dy), 1.0, 1e-14);
    ck_assert_double_le(fabs(dot(P, b.dx, b.dy)), 1e-14);

    /* d_x: the IL gradient's direction, by backprop and by differences. */
    memcpy(want, g_il, P * sizeof *want);
    orthonormalise(P, NULL, want);
    assert_same_vector(P, b.dx, want, SAME_TOLERANCE, "d_x vs backprop", f.mlp);
    memcpy(want, fd_il, P * sizeof *want);
    orthonormalise(P, NULL, want);
    assert_same_vector(P, b.dx, want, FD_TOLERANCE, "d_x vs finite differences", f.mlp);

    /* d_y: the part of the RL gradient orthogonal to d_x, pointing along it. */
    memcpy(want, g_rl, P * sizeof *want);
    orthonormalise(P, b.dx, want);
    assert_same_vector(P, b.dy, want, SAME_TOLERANCE, "d_y vs backprop", f.mlp);
    memcpy(want, fd_il, P * sizeof *want);
    orthonormalise(P, NULL, want);
    double *fd_y = malloc(P * sizeof *fd_y);
    memcpy(fd_y, fd_rl, P * sizeof *fd_y);
    orthonormalise(P, want, fd_y);
    assert_same_vector(P, b.dy, fd_y, FD_TOLERANCE, "d_y vs finite differences", f.mlp);
    ck_assert_double_gt(dot(P, b.dy, g_rl), 0.0);

    /* The plane spans both gradients: nothing of either is left outside. */
    for (int which = 0; which < 2; which++) {
        const double *g = which ? g_rl : g_il;
        double in_plane_sq = pow(dot(P, g, b.dx), 2) + pow(dot(P, g, b.dy), 2);
        ck_assert_double_eq_tol(sqrt(in_plane_sq), norm(P, g), 1e-12 * norm(P, g));
    }
    double cosine = dot(P, g_il, g_rl) / (norm(P, g_il) * norm(P, g_rl));
    ck_assert_double_eq_tol(b.cosine, cosine, 1e-13);
    ck_assert_double_lt(fabs(cosine), 1.0 - 1e-6);   /* the fixture is not degenerate */

    /* Every kind reports the same cosine. */
    struct built w = build(&f, "weights", f.theta0), r = build(&f, "random:3", f.theta0);
    ck_assert_double_eq(w.cosine, b.cosine);
    ck_assert_double_eq(r.cosine, b.cosine);
    built_free(&w);
    built_free(&r);
    built_free(&b);
    free(g_il);
    free(g_rl);
    free(fd_il);
    free(fd_rl);
    free(fd_y);
    free(want);
    fixture_free(&f);
}
END_TEST

/* ---- degenerate gradients planes ---------------------------------------------- */

/* The fallback direction, computed twice: random:1's d_x with its component
 * along `unit` removed, normalised -- from ilrl_plane_build's own random:1
 * plane and from the independent construction.  Asserts `got` equals both,
 * is unit and orthogonal to `unit`. */
static void assert_fallback(struct fixture *f, const double *theta0, const double *unit,
                            const double *got, const char *what)
{
    size_t P = f->P;
    double *want = malloc(P * sizeof *want), *spare = malloc(P * sizeof *spare);
    char label[128];

    ck_assert_double_eq_tol(norm(P, got), 1.0, 1e-14);
    if (unit != NULL)
        ck_assert_msg(fabs(dot(P, got, unit)) <= 1e-14, "%s: d_x . d_y = %g", what,
                      dot(P, got, unit));

    struct built r = build(f, "random:1", theta0);
    memcpy(want, r.dx, P * sizeof *want);
    orthonormalise(P, unit, want);
    snprintf(label, sizeof label, "%s: fallback vs the random:1 plane", what);
    assert_same_vector(P, got, want, SAME_TOLERANCE, label, f->mlp);
    built_free(&r);

    expected_random(f->mlp, theta0, 1, want, spare);
    orthonormalise(P, unit, want);
    snprintf(label, sizeof label, "%s: fallback vs random:1 built independently", what);
    assert_same_vector(P, got, want, SAME_TOLERANCE, label, f->mlp);
    free(want);
    free(spare);
}

/* All RL weights equal c: L_RL = c L_IL, so grad L_RL is (anti)parallel to
 * grad L_IL (c = 2.5, -1.5, and the tiny 1e-9) or vanishes (c = 0).  d_x
 * stays the IL gradient's direction, d_y is the fallback. */
START_TEST(test_degenerate_rl_parallel_or_vanishing)
{
    static const double c[] = {2.5, -1.5, 1e-9, 0.0};
    struct fixture f;
    fixture_make(&f, "4,6,5,2", 300, 9);
    for (size_t t = 0; t < f.N; t++)
        f.weight[t] = c[_i];
    size_t P = f.P;
    double *g_il = malloc(P * sizeof *g_il), *g_rl = malloc(P * sizeof *g_rl);
    ilrl_loss_eval(f.mlp, f.theta0, &f.data, f.work, NULL, NULL, g_il, g_rl);

    struct built b = build(&f, "gradients", f.theta0);
    char what[64];
    snprintf(what, sizeof what, "RL weights all %g", c[_i]);
    ck_assert_msg(b.degenerate == 1, "%s: not flagged degenerate", what);
    double *want = malloc(P * sizeof *want);
    memcpy(want, g_il, P * sizeof *want);
    orthonormalise(P, NULL, want);
    assert_same_vector(P, b.dx, want, SAME_TOLERANCE, what, f.mlp);
    assert_fallback(&f, f.theta0, b.dx, b.dy, what);
    double cosine = c[_i] > 0.0 ? 1.0 : c[_i] < 0.0 ? -1.0 : 0.0;
    ck_assert_double_eq_tol(b.cosine, cosine, 1e-12);
    free(want);
    free(g_il);
    free(g_rl);
    built_free(&b);
    fixture_free(&f);
}
END_TEST

/* Nearly but not exactly parallel is not degenerate: the orthogonal part,
 * here ~1e-7 of the RL gradient, becomes d_y.
 *
 * Orthogonality holds only to eps * |grad L_RL| / |orthogonal part| (7e-11
 * here, up to ~1e-6 just above the 1e-10 degeneracy threshold): plane.c's
 * gradient_directions() removes d_x's component from grad L_RL in a single
 * Gram-Schmidt pass, and the rounding of that pass is amplified by the
 * normalisation.  A second pass (calling remove_component(n, dx, dy) twice)
 * would give ~1e-16 at any angle; not applied here because it moves the last
 * bits of every gradients-plane landscape.  The bound below is what one
 * pass guarantees, and it still holds after that fix. */
START_TEST(test_nearly_parallel_is_not_degenerate)
{
    struct fixture f;
    fixture_make(&f, "4,6,5,2", 300, 9);
    for (size_t t = 0; t < f.N; t++)
        f.weight[t] = 2.0 + (t == 17 ? 1e-4 : 0.0);
    size_t P = f.P;
    double *g_il = malloc(P * sizeof *g_il), *g_rl = malloc(P * sizeof *g_rl);
    double *want = malloc(P * sizeof *want), *unit_il = malloc(P * sizeof *unit_il);
    ilrl_loss_eval(f.mlp, f.theta0, &f.data, f.work, NULL, NULL, g_il, g_rl);
    memcpy(unit_il, g_il, P * sizeof *unit_il);
    orthonormalise(P, NULL, unit_il);
    memcpy(want, g_rl, P * sizeof *want);
    double along = dot(P, want, unit_il);
    for (size_t k = 0; k < P; k++)
        want[k] -= along * unit_il[k];
    double ratio = norm(P, want) / norm(P, g_rl);   /* sine of the angle */
    ck_assert_msg(ratio > 1e-9 && ratio < 1e-5, "fixture: sine %g", ratio);

    struct built b = build(&f, "gradients", f.theta0);
    ck_assert_int_eq(b.degenerate, 0);
    ck_assert_double_eq_tol(norm(P, b.dy), 1.0, 1e-14);
    ck_assert_msg(fabs(dot(P, b.dx, b.dy)) <= 1e-14 / ratio, "d_x . d_y = %.3g at sine %.3g",
                  dot(P, b.dx, b.dy), ratio);
    ck_assert_double_gt(dot(P, b.dy, g_rl), 0.0);
    /* Still the direction of the orthogonal part, to the same accuracy. */
    orthonormalise(P, NULL, want);
    assert_same_vector(P, b.dy, want, 1e-14 / ratio, "nearly parallel: d_y", f.mlp);
    free(want);
    free(unit_il);
    free(g_il);
    free(g_rl);
    built_free(&b);
    fixture_free(&f);
}
END_TEST

/* A network whose output layer (weights and biases) is zero gives pi = 1/2
 * for every observation; each observation is shown once with each action,
 * so grad L_IL is exactly zero.  RL weights (w0 with action 0, w1 with
 * action 1) decide whether grad L_RL vanishes too.  The random fallback
 * lives in the hidden layers then (the output rows of theta0 are zero). */
static void fixture_vanishing_il(struct fixture *f, double w0, double w1)
{
    fixture_make(f, "4,6,5,2", 40, 12);
    for (size_t t = 0; t < f->N; t += 2) {
        memcpy(f->obs + (t + 1) * f->D, f->obs + t * f->D, f->D * sizeof *f->obs);
        f->action[t] = 0;
        f->action[t + 1] = 1;
        f->weight[t] = w0;
        f->weight[t + 1] = w1;
    }
    size_t L = f->mlp->n_layers;
    for (size_t k = f->mlp->weight_offset[L - 1]; k < f->P; k++)
        f->theta0[k] = 0.0;
}

/* grad L_IL = 0, grad L_RL != 0: the RL gradient takes d_x, the fallback d_y. */
START_TEST(test_degenerate_il_vanishes)
{
    struct fixture f;
    fixture_vanishing_il(&f, 2.0, 0.5);
    size_t P = f.P;
    double *g_il = malloc(P * sizeof *g_il), *g_rl = malloc(P * sizeof *g_rl);
    ilrl_loss_eval(f.mlp, f.theta0, &f.data, f.work, NULL, NULL, g_il, g_rl);
    for (size_t k = 0; k < P; k++)
        ck_assert_msg(g_il[k] == 0.0, "fixture: dL_IL/dtheta[%zu] = %g, not 0", k, g_il[k]);
    ck_assert_double_gt(norm(P, g_rl), 0.1);

    struct built b = build(&f, "gradients", f.theta0);
    ck_assert_int_eq(b.degenerate, 1);
    ck_assert_double_eq(b.cosine, 0.0);
    double *want = malloc(P * sizeof *want);
    memcpy(want, g_rl, P * sizeof *want);
    orthonormalise(P, NULL, want);
    assert_same_vector(P, b.dx, want, SAME_TOLERANCE, "IL vanishes: d_x", f.mlp);
    assert_fallback(&f, f.theta0, b.dx, b.dy, "IL vanishes");
    free(want);
    free(g_il);
    free(g_rl);
    built_free(&b);
    fixture_free(&f);
}
END_TEST

/* Both gradients zero: d_x is random:1's d_x and d_y random:1's d_y, made
 * orthogonal to it (before the fix, d_y was d_x's own rounding noise,
 * normalised: d_x . d_y = 0.991 on this fixture). */
START_TEST(test_degenerate_both_vanish)
{
    struct fixture f;
    fixture_vanishing_il(&f, 0.0, 0.0);
    size_t P = f.P;
    double *g_il = malloc(P * sizeof *g_il), *g_rl = malloc(P * sizeof *g_rl);
    ilrl_loss_eval(f.mlp, f.theta0, &f.data, f.work, NULL, NULL, g_il, g_rl);
    for (size_t k = 0; k < P; k++)
        ck_assert_msg(g_il[k] == 0.0 && g_rl[k] == 0.0,
                      "fixture: gradients at %zu are %g, %g, not 0", k, g_il[k], g_rl[k]);

    struct built b = build(&f, "gradients", f.theta0);
    ck_assert_int_eq(b.degenerate, 1);
    ck_assert_double_eq(b.cosine, 0.0);
    ck_assert_double_eq_tol(norm(P, b.dx), 1.0, 1e-14);
    ck_assert_double_eq_tol(norm(P, b.dy), 1.0, 1e-14);

    double *want_x = malloc(P * sizeof *want_x), *want_y = malloc(P * sizeof *want_y);
    expected_random(f.mlp, f.theta0, 1, want_x, want_y);
    orthonormalise(P, NULL, want_x);
    orthonormalise(P, want_x, want_y);
    assert_same_vector(P, b.dx, want_x, SAME_TOLERANCE, "both vanish: d_x", f.mlp);
    ck_assert_msg(fabs(dot(P, b.dx, b.dy)) <= 1e-14, "d_x . d_y = %.3g", dot(P, b.dx, b.dy));
    assert_same_vector(P, b.dy, want_y, SAME_TOLERANCE, "both vanish: d_y", f.mlp);
    free(want_x);
    free(want_y);
    free(g_il);
    free(g_rl);
    built_free(&b);
    fixture_free(&f);
}
END_TEST

/* theta0 = 0: the random plane has no row norms to borrow (all zero), so
 * the fallback takes a coordinate axis made orthogonal to d_x; still a
 * unit vector orthogonal to d_x. */
START_TEST(test_degenerate_at_zero_theta)
{
    struct fixture f;
    fixture_vanishing_il(&f, 2.0, 0.5);
    size_t P = f.P;
    memset(f.theta0, 0, P * sizeof *f.theta0);
    struct built b = build(&f, "gradients", f.theta0);
    ck_assert_int_eq(b.degenerate, 1);
    ck_assert_double_eq_tol(norm(P, b.dx), 1.0, 1e-14);
    ck_assert_double_eq_tol(norm(P, b.dy), 1.0, 1e-14);
    ck_assert_double_le(fabs(dot(P, b.dx, b.dy)), 1e-14);
    built_free(&b);

    /* Both gradients zero as well (RL weights 0). */
    for (size_t t = 0; t < f.N; t++)
        f.weight[t] = 0.0;
    b = build(&f, "gradients", f.theta0);
    ck_assert_int_eq(b.degenerate, 1);
    ck_assert_double_eq_tol(norm(P, b.dx), 1.0, 1e-14);
    ck_assert_double_eq_tol(norm(P, b.dy), 1.0, 1e-14);
    ck_assert_double_le(fabs(dot(P, b.dx, b.dy)), 1e-14);
    built_free(&b);
    fixture_free(&f);
}
END_TEST

Suite *plane_suite(void)
{
    Suite *suite = suite_create("plane");
    TCase *names = tcase_create("names");
    tcase_add_test(names, test_parse_format_round_trip);
    tcase_add_test(names, test_parse_refuses_malformed);
    tcase_add_test(names, test_weights_plane_unit_vectors);
    tcase_add_test(names, test_weights_plane_refuses_bad_names);
    suite_add_tcase(suite, names);

    TCase *random = tcase_create("random");
    tcase_add_loop_test(random, test_random_plane_filter_normalised, 0, 3);
    tcase_add_test(random, test_random_plane_zero_rows_and_seeds);
    suite_add_tcase(suite, random);

    TCase *gradients = tcase_create("gradients");
    tcase_add_loop_test(gradients, test_gradients_plane_orthonormal, 0, 3);
    tcase_add_loop_test(gradients, test_degenerate_rl_parallel_or_vanishing, 0, 4);
    tcase_add_test(gradients, test_nearly_parallel_is_not_degenerate);
    tcase_add_test(gradients, test_degenerate_il_vanishes);
    tcase_add_test(gradients, test_degenerate_both_vanish);
    tcase_add_test(gradients, test_degenerate_at_zero_theta);
    tcase_set_timeout(gradients, 60);
    suite_add_tcase(suite, gradients);
    return suite;
}

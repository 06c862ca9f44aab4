/* evaluator.c -- owns the fast evaluation of L_IL and L_RL over the points
 * of one plane (include/ilrl/evaluator.h): the landscape engine's inner loop.
 *
 * ilrl_loss_eval at a point of a 12,64,64,2 network costs ~10 kFLOP per
 * sample (the 64 x 64 layer is 82% of it) and 128 tanh; a plane has 10^4 to
 * 10^7 points on the same N samples, so everything that does not depend on
 * (x, y) is computed once, at alloc:
 *
 *  - weights-output: both directions are unit vectors on entries of the
 *    output layer (W_L or b_L).  The last hidden activation h (N x H) and the
 *    base logits are cached; a point adds x h[t, c_x] to logit r_x and
 *    y h[t, c_y] to logit r_y (h = 1 for a bias), then the shared log-sum-exp
 *    (ilrl_loss_accumulate): ~3 multiply-adds and one exp + one log per
 *    sample, against ~10^4 FLOP and 128 exp for the full pass.
 *  - weights-hidden: unit vectors, the first perturbed layer l_f < L.  The
 *    input of layer l_f and its pre-activation Z (with bias) are cached; a
 *    point adds the rank-one term x A[t, c_x] to column r_x of Z (and y's),
 *    activates only the changed columns (the others are the cached
 *    activation), then runs layers l_f + 1 .. L with one dgemm each at the
 *    point's theta.  Costs the layers after l_f only.
 *  - dense (random, gradients planes, or any direction that is not a unit
 *    vector): layer 1 is linear in theta, so its pre-activation
 *    X W_1(x, y)^T + b_1(x, y) = (X W0^T + b0) + x (X Dx^T + bx)
 *    + y (X Dy^T + by) is three products cached at alloc, combined per
 *    point with two multiply-adds per entry; layers 2 .. L are
 *    one dgemm each at the point's theta, formed with ilrl_plane_point.  On
 *    AVX-512 CPUs with hidden widths that are multiples of 8, the fused
 *    kernel of dense_kernel.h does the whole block instead (1.5x faster:
 *    no dgemm packing, the tanh in registers, the block in L1).
 *
 * Samples run in blocks of ILRL_LOSS_BLOCK rows (256 x 64 doubles = 128 KiB
 * stays in L2), the blocks in order, each summed by ilrl_loss_accumulate,
 * exactly the loop structure of ilrl_loss_eval.  Points are evaluated one
 * by one through the same code, with every scratch buffer rewritten before
 * it is read, so a point's losses depend on (x, y) and the inputs only:
 * bit-identical whatever the other points of the call, the tiling or the
 * rank count.  They agree with ilrl_loss_eval at ilrl_plane_point's theta to
 * ~1e-15 relative (the rank-one and three-product forms round differently
 * from one dgemm; tests/check_evaluator.c asserts 1e-12).
 *
 * Memory: weights-output caches N (H + K + 2) doubles, weights-hidden
 * N (n_in + 2 H_f + 2), dense 3 N H_1; plus two blocks of the widest layer
 * and one theta.  N = 2000, 12,64,64,2: 0.5 to 3 MiB.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_matrix.h>

#include "ilrl/dense_kernel.h"
#include "ilrl/error.h"
#include "ilrl/evaluator.h"
#include "ilrl/plane.h"
#include "ilrl/value_loss.h"
#include "ilrl/vecmath.h"

enum evaluator_mode { MODE_WEIGHTS_OUTPUT, MODE_WEIGHTS_HIDDEN, MODE_DENSE };

/* Points that share a pass over the samples (ilrl_evaluator_eval) once the
 * dense products outgrow GROUP_BELOW_BYTES: the group's packed weights (8 x
 * 32 KiB for 12,64,64,2) and a block of the products (384 KiB) fit L2
 * together.  Measured, one core, fused kernel, 2000 / 15 000-step demos:
 * 1 (points outer) 4.1e6 / 3.5e6 sample-evals/s, 4: 4.3e6 / 4.1e6,
 * 8: 4.2e6 / 4.2e6, 16: 3.7e6 / 3.7e6 (L2 overflows).  On 2 ranks the
 * 2000-step demo (3 MB of products, at home in L3) ran 5% slower in groups
 * (10.6 vs 10.1 s for 201 x 201), the 15 000-step one (23 MB) 9% faster
 * (20.4 vs 22.4 s for 101 x 101): groups start at 4 MiB of products. */
#define EVALUATOR_GROUP 8
#define GROUP_BELOW_BYTES ((size_t)4 << 20)

/* One unit direction: theta entry `index`, which is W_layer[unit, input] or,
 * when is_bias, b_layer[unit]. */
struct unit_direction {
    size_t index;
    size_t layer;        /* 1..L */
    size_t unit;         /* output unit of the layer, < sizes[layer] */
    size_t input;        /* input unit, < sizes[layer - 1]; unused for a bias */
    int is_bias;
};

struct ilrl_evaluator {
    const struct ilrl_mlp *mlp;
    const double *theta0, *direction_x, *direction_y;
    const struct ilrl_loss_data *data;
    size_t max_points;
    enum evaluator_mode mode;
    enum ilrl_dense_path dense_path; /* the caller's choice for dense planes */
    size_t n_steps;            /* N */
    size_t block;              /* rows per block: min(ILRL_LOSS_BLOCK, N) */
    size_t n_actions;          /* K */

    size_t group;              /* points run together over each block */
    double *thetas;            /* group x P: the group's points' theta
                                  (weights modes: theta0 with the two entries
                                  rewritten) */
    size_t slot;               /* the current point's slot in thetas (the
                                  fused kernel's slot too) */
    /* weights modes */
    struct unit_direction unit[2];   /* [0] = d_x, [1] = d_y */
    size_t first_layer;        /* l_f: the first perturbed layer */
    double *pre;               /* N x sizes[l_f]: layer l_f's pre-activation
                                  at theta0 (bias included; logits if l_f = L) */
    double *activation;        /* N x sizes[l_f]: f(pre) (weights-hidden only) */
    double *column[2];         /* N: the input entry each direction multiplies
                                  (A_{l_f - 1}[t, input], or 1 for a bias);
                                  NULL for a direction outside layer l_f */
    /* dense mode */
    double *product[3];        /* N x H_1: layer 1's pre-activation at theta0
                                  and along d_x, d_y, bias included
                                  (X W0^T + b0, ...; the combination was
                                  measured 4-10% faster than the layer-1
                                  dgemm even for D = 12) */
    double *zero_bias;         /* H_1 zeros: the bias is in the products */
    struct ilrl_dense_kernel *kernel;   /* the fused AVX-512 pass, or NULL:
                                           the dgemm path */
    /* where the per-sample caches (pre, activation, column, product) live:
     * their own mallocs, or carved in this order from a caller's block
     * (ilrl_evaluator_alloc_cached: one copy per node, node_share.h) */
    double *cache_next;        /* the caller's block, next free double; NULL: own */
    int cache_fill;            /* 0: the caller's block is filled already */
    /* per-block scratch */
    double *buffer[2];         /* block x widest layer, ping-pong */
    double *gathered;          /* block: one changed column */
    double *log_prob;       /* block */
    /* value objectives (ilrl_evaluator_set_value); plan NULL: none */
    const struct ilrl_value_plan *plan;
    double alpha;
    double *q_block;           /* block: Q(s_t, a_t) of one block ("frozen") */
    double *q_taken;           /* group x N: Q(s_t, a_t) ("same") */
    double *q_max;             /* group x (N + F): max_a Q(row, a) ("same") */
    double *target;            /* N: one point's targets ("same") */
    struct ilrl_mlp_work *final_work;   /* the final_obs rows' pass ("same") */
};

/* ---- set-up ------------------------------------------------------------------ */

/* n doubles of the per-sample caches: the caller's block or a malloc. */
static double *cache_take(struct ilrl_evaluator *ev, size_t n)
{
    if (ev->cache_next == NULL)
        return malloc(n * sizeof(double));
    double *taken = ev->cache_next;
    ev->cache_next += n;
    return taken;
}

/* 1 if d has exactly one nonzero entry and it is 1.0; fills *unit. */
static int find_unit_direction(const struct ilrl_mlp *mlp, const double *d,
                               struct unit_direction *unit)
{
    size_t found = SIZE_MAX;
    for (size_t k = 0; k < mlp->n_params; k++)
        if (d[k] != 0.0) {
            if (found != SIZE_MAX || d[k] != 1.0)
                return 0;
            found = k;
        }
    if (found == SIZE_MAX)
        return 0;
    size_t l = mlp->n_layers;
    while (found < mlp->weight_offset[l - 1])
        l--;
    unit->index = found;
    unit->layer = l;
    if (found >= mlp->bias_offset[l - 1]) {
        unit->is_bias = 1;
        unit->unit = found - mlp->bias_offset[l - 1];
        unit->input = 0;
    } else {
        size_t k = found - mlp->weight_offset[l - 1], n_in = mlp->sizes[l - 1];
        unit->is_bias = 0;
        unit->unit = k / n_in;
        unit->input = k % n_in;
    }
    return 1;
}

/* Runs layers 1 .. l of theta0 over all samples, block by block, into
 * out (N x sizes[l]); activates layer l only if `activate`.  Uses the two
 * scratch buffers. */
static void cache_layer_rows(struct ilrl_evaluator *ev, size_t l, int activate, size_t start,
                             size_t n, double *out)
{
    const struct ilrl_mlp *mlp = ev->mlp;
    const double *input = ev->data->obs + start * mlp->sizes[0];
    for (size_t k = 1; k < l; k++) {
        double *next = ev->buffer[k % 2];
        ilrl_mlp_layer_forward(mlp, k, ev->theta0, input, n, next, 1);
        input = next;
    }
    ilrl_mlp_layer_forward(mlp, l, ev->theta0, input, n, out, activate);
}

static void cache_layer(struct ilrl_evaluator *ev, size_t l, int activate, double *out)
{
    const size_t width = ev->mlp->sizes[l];
    for (size_t start = 0; start < ev->n_steps; start += ev->block) {
        size_t n = ev->n_steps - start < ev->block ? ev->n_steps - start : ev->block;
        cache_layer_rows(ev, l, activate, start, n, out + start * width);
    }
}

static int prepare_weights(struct ilrl_evaluator *ev)
{
    const struct ilrl_mlp *mlp = ev->mlp;
    const size_t L = mlp->n_layers, N = ev->n_steps;
    size_t lf = ev->unit[0].layer < ev->unit[1].layer ? ev->unit[0].layer
                                                      : ev->unit[1].layer;
    size_t width = mlp->sizes[lf], n_in = mlp->sizes[lf - 1];
    ev->first_layer = lf;
    ev->mode = lf == L ? MODE_WEIGHTS_OUTPUT : MODE_WEIGHTS_HIDDEN;

    ev->pre = cache_take(ev, N * width);
    if (ev->pre == NULL)
        return ILRL_EFAILED;
    if (ev->cache_fill)
        cache_layer(ev, lf, 0, ev->pre);
    if (ev->mode == MODE_WEIGHTS_HIDDEN) {
        ev->activation = cache_take(ev, N * width);
        if (ev->activation == NULL)
            return ILRL_EFAILED;
    }
    if (ev->mode == MODE_WEIGHTS_HIDDEN && ev->cache_fill) {
        memcpy(ev->activation, ev->pre, N * width * sizeof *ev->pre);
        /* Bias already in pre: activate with a zero bias. */
        double *zero = calloc(width, sizeof *zero);
        if (zero == NULL)
            return ILRL_EFAILED;
        ilrl_mlp_activate(mlp, ev->activation, zero, N, width, 0);
        free(zero);
    }

    /* The input of layer l_f (the observations, or layer l_f - 1's
     * activation) is needed only for the columns the directions read: it
     * is formed one block at a time (N x n_in at once was 512 MB of a
     * 10^6-step demo). */
    for (int d = 0; d < 2; d++)
        if (ev->unit[d].layer == lf && (ev->column[d] = cache_take(ev, N)) == NULL)
            return ILRL_EFAILED;
    if (!ev->cache_fill)
        return ILRL_OK;
    double *input = NULL;
    if (lf > 1 && (input = malloc(ev->block * n_in * sizeof *input)) == NULL)
        return ILRL_EFAILED;
    for (size_t start = 0; start < N; start += ev->block) {
        size_t n = N - start < ev->block ? N - start : ev->block;
        const double *source = ev->data->obs + start * n_in;
        if (lf > 1) {
            cache_layer_rows(ev, lf - 1, 1, start, n, input);
            source = input;
        }
        for (int d = 0; d < 2; d++) {
            const struct unit_direction *u = &ev->unit[d];
            if (u->layer == lf)
                for (size_t i = 0; i < n; i++)
                    ev->column[d][start + i] = u->is_bias ? 1.0 : source[i * n_in + u->input];
        }
    }
    free(input);
    return ILRL_OK;
}

static int prepare_dense(struct ilrl_evaluator *ev)
{
    const struct ilrl_mlp *mlp = ev->mlp;
    const size_t N = ev->n_steps, H = mlp->sizes[1], D = mlp->sizes[0];
    const double *theta[3] = {ev->theta0, ev->direction_x, ev->direction_y};
    ev->mode = MODE_DENSE;
    gsl_matrix_const_view X = gsl_matrix_const_view_array(ev->data->obs, N, D);
    for (int k = 0; k < 3; k++) {
        ev->product[k] = cache_take(ev, N * H);
        if (ev->product[k] == NULL)
            return ILRL_EFAILED;
        if (!ev->cache_fill)
            continue;
        gsl_matrix_const_view W = gsl_matrix_const_view_array(
            theta[k] + mlp->weight_offset[0], H, D);
        gsl_matrix_view P = gsl_matrix_view_array(ev->product[k], N, H);
        gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, &X.matrix, &W.matrix, 0.0,
                       &P.matrix);
        /* b_1(x, y) = b_1(theta0) + x b_1(d_x) + y b_1(d_y) is linear in
         * theta too: it rides in the products. */
        const double *b = theta[k] + mlp->bias_offset[0];
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < H; j++)
                ev->product[k][i * H + j] += b[j];
    }
    ev->zero_bias = calloc(H, sizeof *ev->zero_bias);
    if (ev->zero_bias == NULL)
        return ILRL_EFAILED;
    if (ev->dense_path != ILRL_DENSE_AVX512)
        return ILRL_OK;
    int out_of_memory;
    ev->kernel = ilrl_dense_kernel_alloc(mlp, ev->group, &out_of_memory);
    return out_of_memory ? ILRL_EFAILED : ILRL_OK;
}

struct ilrl_evaluator *ilrl_evaluator_alloc(const struct ilrl_mlp *mlp,
                                            const double *theta0,
                                            const double *direction_x,
                                            const double *direction_y,
                                            const struct ilrl_loss_data *data,
                                            size_t max_points,
                                            enum ilrl_dense_path dense_path)
{
    return ilrl_evaluator_alloc_cached(mlp, theta0, direction_x, direction_y, data,
                                       max_points, dense_path, NULL, 1);
}

struct ilrl_evaluator *ilrl_evaluator_alloc_cached(const struct ilrl_mlp *mlp,
                                                   const double *theta0,
                                                   const double *direction_x,
                                                   const double *direction_y,
                                                   const struct ilrl_loss_data *data,
                                                   size_t max_points,
                                                   enum ilrl_dense_path dense_path,
                                                   double *cache, int fill)
{
    const size_t L = mlp->n_layers;
    size_t widest = 1;
    for (size_t l = 1; l <= L; l++)
        widest = mlp->sizes[l] > widest ? mlp->sizes[l] : widest;

    struct ilrl_evaluator *ev = calloc(1, sizeof *ev);
    if (ev == NULL)
        goto out_of_memory;
    ev->mlp = mlp;
    ev->theta0 = theta0;
    ev->direction_x = direction_x;
    ev->direction_y = direction_y;
    ev->data = data;
    ev->max_points = max_points;
    ev->dense_path = dense_path;
    ev->cache_next = cache;
    ev->cache_fill = cache == NULL || fill;
    ev->n_steps = data->n_steps;
    ev->block = data->n_steps < ILRL_LOSS_BLOCK ? data->n_steps : ILRL_LOSS_BLOCK;
    ev->n_actions = mlp->sizes[L];
    const int weights_plane = find_unit_direction(mlp, direction_x, &ev->unit[0])
                              && find_unit_direction(mlp, direction_y, &ev->unit[1]);
    /* Up to EVALUATOR_GROUP points share a pass over the samples, their
     * thetas within ~4 MiB (the default network: 8 x 41 KiB); one at a time
     * while a dense plane's products stay small, and on weights planes. */
    size_t group = ((size_t)4 << 20) / (mlp->n_params * sizeof(double));
    group = group < EVALUATOR_GROUP ? group : EVALUATOR_GROUP;
    if (weights_plane || 3 * data->n_steps * mlp->sizes[1] * sizeof(double) < GROUP_BELOW_BYTES)
        group = 1;
    group = group < max_points ? group : max_points;
    ev->group = group > 0 ? group : 1;
    ev->thetas = malloc(ev->group * mlp->n_params * sizeof *ev->thetas);
    ev->buffer[0] = malloc(ev->block * widest * sizeof *ev->buffer[0]);
    ev->buffer[1] = malloc(ev->block * widest * sizeof *ev->buffer[1]);
    ev->gathered = malloc(ev->block * sizeof *ev->gathered);
    ev->log_prob = malloc(ev->block * sizeof *ev->log_prob);
    if (ev->thetas == NULL || ev->buffer[0] == NULL || ev->buffer[1] == NULL
        || ev->gathered == NULL || ev->log_prob == NULL)
        goto out_of_memory;
    for (size_t q = 0; q < ev->group; q++)
        memcpy(ev->thetas + q * mlp->n_params, theta0, mlp->n_params * sizeof *theta0);

    int status = weights_plane ? prepare_weights(ev) : prepare_dense(ev);
    if (status != ILRL_OK)
        goto out_of_memory;
    return ev;

out_of_memory:
    ilrl_evaluator_free(ev);
    ilrl_error(ILRL_EFAILED, "plane evaluator: out of memory (%zu samples)",
               data->n_steps);
    return NULL;
}

void ilrl_evaluator_free(struct ilrl_evaluator *ev)
{
    if (ev == NULL)
        return;
    free(ev->thetas);
    if (ev->cache_next == NULL) {   /* the caches are the evaluator's own */
        free(ev->pre);
        free(ev->activation);
        free(ev->column[0]);
        free(ev->column[1]);
        for (int k = 0; k < 3; k++)
            free(ev->product[k]);
    }
    free(ev->zero_bias);
    ilrl_dense_kernel_free(ev->kernel);
    free(ev->buffer[0]);
    free(ev->buffer[1]);
    free(ev->gathered);
    free(ev->log_prob);
    free(ev->q_block);
    free(ev->q_taken);
    free(ev->q_max);
    free(ev->target);
    ilrl_mlp_work_free(ev->final_work);
    free(ev);
}

int ilrl_evaluator_set_value(struct ilrl_evaluator *ev, const struct ilrl_value_plan *plan,
                             double alpha)
{
    const size_t N = ev->n_steps, F = plan->n_final;
    ev->plan = plan;
    ev->alpha = alpha;
    if (ev->q_block == NULL)
        ev->q_block = malloc(ev->block * sizeof *ev->q_block);
    if (ev->q_block == NULL)
        goto out_of_memory;
    if (plan->target != ILRL_VALUE_TARGET_SAME)
        return ILRL_OK;
    free(ev->q_taken);
    free(ev->q_max);
    free(ev->target);
    ilrl_mlp_work_free(ev->final_work);
    ev->q_taken = malloc(ev->group * N * sizeof *ev->q_taken);
    ev->q_max = malloc(ev->group * (N + F) * sizeof *ev->q_max);
    ev->target = malloc(N * sizeof *ev->target);
    ev->final_work = ilrl_mlp_work_alloc(ev->mlp, F > 0 && F < ev->block ? F : ev->block);
    if (ev->q_taken != NULL && ev->q_max != NULL && ev->target != NULL
        && ev->final_work != NULL)
        return ILRL_OK;
out_of_memory:
    ev->plan = NULL;
    return ilrl_error(ILRL_EFAILED, "plane evaluator: out of memory for the TD targets "
                      "(%zu samples)", N);
}

const char *ilrl_evaluator_mode(const struct ilrl_evaluator *ev)
{
    switch (ev->mode) {
    case MODE_WEIGHTS_OUTPUT: return "weights-output";
    case MODE_WEIGHTS_HIDDEN: return "weights-hidden";
    case MODE_DENSE: return ev->kernel != NULL ? "dense-fused" : "dense";
    }
    return "unknown";
}

const char *ilrl_evaluator_dense_kernel(const struct ilrl_evaluator *ev)
{
    if (ev->mode != MODE_DENSE)
        return "none";
    return ev->kernel != NULL ? "avx512" : "dgemm";
}

/* The caches in carving order (cache_take): their addresses and sizes. */
static size_t cache_arrays(struct ilrl_evaluator *ev, double ***arrays, size_t *sizes)
{
    const size_t N = ev->n_steps;
    size_t n = 0;
    if (ev->mode == MODE_DENSE) {
        for (int k = 0; k < 3; k++) {
            arrays[n] = &ev->product[k];
            sizes[n++] = N * ev->mlp->sizes[1];
        }
        return n;
    }
    const size_t width = ev->mlp->sizes[ev->first_layer];
    arrays[n] = &ev->pre;
    sizes[n++] = N * width;
    if (ev->mode == MODE_WEIGHTS_HIDDEN) {
        arrays[n] = &ev->activation;
        sizes[n++] = N * width;
    }
    for (int d = 0; d < 2; d++)
        if (ev->column[d] != NULL) {
            arrays[n] = &ev->column[d];
            sizes[n++] = N;
        }
    return n;
}

size_t ilrl_evaluator_cache_size(const struct ilrl_mlp *mlp, const double *direction_x,
                                 const double *direction_y, size_t n_steps)
{
    struct unit_direction unit[2];
    if (!find_unit_direction(mlp, direction_x, &unit[0])
        || !find_unit_direction(mlp, direction_y, &unit[1]))
        return 3 * n_steps * mlp->sizes[1];
    size_t lf = unit[0].layer < unit[1].layer ? unit[0].layer : unit[1].layer;
    size_t width = mlp->sizes[lf];
    size_t size = n_steps * width * (lf == mlp->n_layers ? 1 : 2);
    for (int d = 0; d < 2; d++)
        size += unit[d].layer == lf ? n_steps : 0;
    return size;
}

void ilrl_evaluator_move_cache(struct ilrl_evaluator *ev, double *cache)
{
    double **arrays[5];
    size_t sizes[5], n = cache_arrays(ev, arrays, sizes);
    for (size_t k = 0; k < n; k++) {
        memcpy(cache, *arrays[k], sizes[k] * sizeof *cache);
        if (ev->cache_next == NULL)
            free(*arrays[k]);
        *arrays[k] = cache;
        cache += sizes[k];
    }
    ev->cache_next = cache;   /* borrowed from now on */
}

enum ilrl_dense_path ilrl_evaluator_wanted_path(void)
{
    return ilrl_dense_kernel_wanted() ? ILRL_DENSE_AVX512 : ILRL_DENSE_DGEMM;
}

double ilrl_evaluator_bytes(const struct ilrl_mlp *mlp, size_t n_steps, size_t max_points)
{
    const size_t L = mlp->n_layers;
    double widest = 1, N = (double)n_steps, P = (double)mlp->n_params;
    for (size_t l = 0; l <= L; l++)
        widest = (double)mlp->sizes[l] > widest ? (double)mlp->sizes[l] : widest;
    double block = N < ILRL_LOSS_BLOCK ? N : ILRL_LOSS_BLOCK;
    double group = max_points < EVALUATOR_GROUP ? (double)max_points : EVALUATOR_GROUP;
    group = group > 0 ? group : 1;
    /* Caches: weights modes at most pre, activation, input and two columns;
     * dense three products.  Both bounded by N (3 widest + 2).  Then the
     * group's thetas (and the fused kernel's packed copies, at most P
     * each), two blocks of the widest layer and two block vectors. */
    double doubles = N * (3 * widest + 2) + 2 * group * P
                     + (2 * block + 2 * ILRL_DENSE_ROWS) * widest + 2 * block;
    return 8.0 * doubles;
}

/* ---- one point ------------------------------------------------------------------ */

/* z[i, r] += coordinate * column[i] over n rows of width m. */
static void add_rank_one(double *z, size_t n, size_t m, size_t r, double coordinate,
                         const double *column)
{
    for (size_t i = 0; i < n; i++)
        z[i * m + r] += coordinate * column[i];
}

/* Dense layer 1: z = (P0 + x Px) + y Py over n x H, contiguous. */
ILRL_VECTOR_CLONES
static void combine_products(double *z, const double *p0, const double *px,
                             const double *py, double x, double y, size_t count)
{
    for (size_t k = 0; k < count; k++)
        z[k] = (p0[k] + x * px[k]) + y * py[k];
}

/* The layers after `layer` (its activation in `input`, n rows: the
 * observations when layer = 0) at the current point's theta; returns the
 * logits, in one of the scratch buffers.  Requires layer < L. */
static double *finish_layers(struct ilrl_evaluator *ev, size_t layer,
                             const double *input, size_t n)
{
    double *out = NULL;
    for (size_t l = layer + 1; l <= ev->mlp->n_layers; l++) {
        out = input == ev->buffer[0] ? ev->buffer[1] : ev->buffer[0];
        ilrl_mlp_layer_forward(ev->mlp, l, ev->thetas + ev->slot * ev->mlp->n_params,
                               input, n, out, 1);
        input = out;
    }
    return out;
}

/* Logits of samples [start, start + n) at the point (x, y). */
static const double *block_logits(struct ilrl_evaluator *ev, size_t start, size_t n,
                                  const double coordinate[2])
{
    const struct ilrl_mlp *mlp = ev->mlp;
    const size_t lf = ev->first_layer;

    if (ev->mode == MODE_DENSE) {
        const size_t H = mlp->sizes[1];
        if (ev->kernel != NULL) {
            ilrl_dense_kernel_logits(ev->kernel, ev->slot, ev->product[0] + start * H,
                                     ev->product[1] + start * H,
                                     ev->product[2] + start * H, coordinate[0],
                                     coordinate[1], n, ev->buffer[1]);
            return ev->buffer[1];
        }
        double *z = ev->buffer[0];
        combine_products(z, ev->product[0] + start * H, ev->product[1] + start * H,
                         ev->product[2] + start * H, coordinate[0], coordinate[1],
                         n * H);
        ilrl_mlp_activate(mlp, z, ev->zero_bias, n, H,
                          mlp->n_layers == 1);
        return mlp->n_layers == 1 ? z : finish_layers(ev, 1, z, n);
    }

    const size_t width = mlp->sizes[lf];
    double *z = ev->buffer[0];
    if (ev->mode == MODE_WEIGHTS_OUTPUT) {
        memcpy(z, ev->pre + start * width, n * width * sizeof *z);
        for (int d = 0; d < 2; d++)
            add_rank_one(z, n, width, ev->unit[d].unit, coordinate[d],
                         ev->column[d] + start);
        return z;
    }

    /* weights-hidden: the cached activation, with the perturbed units'
     * columns recomputed from their pre-activation plus the rank-one terms
     * (x's first, then y's, on the same unit). */
    memcpy(z, ev->activation + start * width, n * width * sizeof *z);
    for (int d = 0; d < 2; d++) {
        const struct unit_direction *u = &ev->unit[d];
        if (u->layer != lf || (d == 1 && ev->unit[0].layer == lf
                               && ev->unit[0].unit == u->unit))
            continue;   /* not in l_f, or the unit was done with d_x */
        double *g = ev->gathered;
        for (size_t i = 0; i < n; i++)
            g[i] = ev->pre[(start + i) * width + u->unit];
        for (int e = d; e < 2; e++)
            if (ev->unit[e].layer == lf && ev->unit[e].unit == u->unit)
                for (size_t i = 0; i < n; i++)
                    g[i] += coordinate[e] * ev->column[e][start + i];
        static const double zero = 0.0;
        ilrl_mlp_activate(mlp, g, &zero, n, 1, 0);
        for (size_t i = 0; i < n; i++)
            z[i * width + u->unit] = g[i];
    }
    return finish_layers(ev, lf, z, n);   /* lf < L here */
}

/* Makes slot q the point (x, y): its theta formed exactly as
 * ilrl_plane_point forms it -- whole for dense planes (and packed into the
 * fused kernel's slot q), the two entries for weights planes. */
static void set_point(struct ilrl_evaluator *ev, size_t q, double x, double y)
{
    const struct ilrl_mlp *mlp = ev->mlp;
    double *theta = ev->thetas + q * mlp->n_params;
    if (ev->mode == MODE_DENSE) {
        ilrl_plane_point(mlp->n_params, ev->theta0, ev->direction_x, ev->direction_y, x,
                         y, theta);
        if (ev->kernel != NULL)
            ilrl_dense_kernel_set_theta(ev->kernel, q, theta);
        return;
    }
    for (int d = 0; d < 2; d++) {
        size_t k = ev->unit[d].index;
        theta[k] = ev->theta0[k] + x * ev->direction_x[k] + y * ev->direction_y[k];
    }
}

/* Points run in groups over the samples, blocks outer and the group's
 * points inner: a block's cached inputs (the dense products, 3 x 256 x 64
 * doubles = 384 KiB) stay in L2 while every point of the group uses them.
 * Points outer streamed the whole cache from memory per point once it
 * outgrew L3 (a 15 000-step demo: 23 MB per rank).  Each point still sums
 * its blocks in order, so its values are those of evaluating it alone. */
void ilrl_evaluator_eval(struct ilrl_evaluator *ev, const double *x,
                         const double *y, size_t n_points, double *il_loss,
                         double *rl_loss)
{
    ilrl_evaluator_eval_all(ev, x, y, n_points, il_loss, rl_loss, NULL, NULL);
}

/* "Same" target: the maxima of the plan's final_obs rows at slot q's theta
 * into q_max[N ...], one block of rows at a time (F <= episodes). */
static void final_row_maxima(struct ilrl_evaluator *ev, size_t q, double *q_max)
{
    const struct ilrl_value_plan *plan = ev->plan;
    const size_t F = plan->n_final, D = plan->n_features;
    const double *theta = ev->thetas + q * ev->mlp->n_params;
    for (size_t start = 0; start < F; start += ev->block) {
        size_t n = F - start < ev->block ? F - start : ev->block;
        const double *logits = ilrl_mlp_forward(ev->mlp, theta, plan->final_obs + start * D,
                                                n, ev->final_work);
        ilrl_value_rows(logits, n, ev->n_actions, NULL, NULL, q_max + ev->n_steps + start);
    }
}

void ilrl_evaluator_eval_all(struct ilrl_evaluator *ev, const double *x,
                             const double *y, size_t n_points, double *il_loss,
                             double *rl_loss, double *td_loss, double *cql_loss)
{
    const struct ilrl_loss_data *data = ev->data;
    const struct ilrl_value_plan *plan = ev->plan;
    const int value = plan != NULL && (td_loss != NULL || cql_loss != NULL);
    const int same = value && plan->target == ILRL_VALUE_TARGET_SAME;
    const size_t N = ev->n_steps, F = value ? plan->n_final : 0;
    double td_sum[EVALUATOR_GROUP];
    if (n_points > ev->max_points)
        n_points = ev->max_points;
    for (size_t first = 0; first < n_points; first += ev->group) {
        const size_t count = n_points - first < ev->group ? n_points - first : ev->group;
        double *il = il_loss + first, *rl = rl_loss + first;   /* running sums */
        for (size_t q = 0; q < count; q++) {
            set_point(ev, q, x[first + q], y[first + q]);
            il[q] = rl[q] = 0.0;
            td_sum[q] = 0.0;
        }
        for (size_t start = 0; start < N; start += ev->block) {
            size_t n = N - start < ev->block ? N - start : ev->block;
            for (size_t q = 0; q < count; q++) {
                const double coordinate[2] = {x[first + q], y[first + q]};
                ev->slot = q;
                const double *logits = block_logits(ev, start, n, coordinate);
                ilrl_loss_accumulate(logits, n, ev->n_actions, data->action + start,
                                     data->weight + start, ev->log_prob, &il[q], &rl[q]);
                if (same)
                    ilrl_value_rows(logits, n, ev->n_actions, data->action + start,
                                    ev->q_taken + q * N + start,
                                    ev->q_max + q * (N + F) + start);
                else if (value) {
                    /* frozen: the targets are fixed, so each block's terms
                     * go straight into the point's running sum */
                    ilrl_value_rows(logits, n, ev->n_actions, data->action + start,
                                    ev->q_block, NULL);
                    ilrl_value_td_accumulate(plan, start, n, ev->q_block,
                                             plan->frozen_target + start, &td_sum[q]);
                }
            }
        }
        for (size_t q = 0; q < count; q++) {
            il[q] = -il[q] / (double)N;
            rl[q] = -rl[q] / (double)N;
            if (!value)
                continue;
            double td;
            if (same) {
                double *q_max = ev->q_max + q * (N + F);
                final_row_maxima(ev, q, q_max);
                ilrl_value_targets(plan, q_max, ev->target);
                td = ilrl_value_td_loss(plan, ev->q_taken + q * N, ev->target);
            } else {
                td = td_sum[q] / (double)plan->n_targets;
            }
            if (td_loss != NULL)
                td_loss[first + q] = td;
            if (cql_loss != NULL)
                cql_loss[first + q] = td + ev->alpha * il[q];
        }
    }
}

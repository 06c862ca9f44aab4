/* mlp.c -- owns the policy network: shape, parameter layout and names,
 * seeded initialisation, batched forward and backward passes (docs/network-and-losses.md).
 *
 * Batches are row-major n x width matrices, one sample per row, so layer l is
 * one gsl_blas_dgemm: Z_l = A_{l-1} W_l^T (A_0 = the caller's x, never
 * copied), followed by one fused loop that adds b_l and applies the
 * activation.  The workspace keeps every layer's activation A_l for
 * backpropagation; the activation derivative is recovered from A_l itself
 * (tanh' = 1 - A^2, relu' = [A > 0]), so pre-activations are not stored.
 * Nothing here allocates after ilrl_mlp_work_alloc(), and for a given batch
 * the arithmetic (and so the result, bit for bit) depends only on the inputs.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>

#include "ilrl/error.h"
#include "ilrl/mlp.h"
#include "ilrl/vecmath.h"

/* A layer wider than this is a typo, not a network: it also keeps every
 * product of sizes far from size_t overflow. */
#define MAX_LAYER_SIZE 1000000u

struct ilrl_mlp_work {
    size_t max_batch;     /* rows of every buffer, >= 1 */
    double **activation;  /* L + 1 entries; [l] = A_l, max_batch x sizes[l] for
                             l = 1..L ([L] holds the logits); [0] is unused */
    double *delta[2];     /* backprop ping-pong, max_batch x widest hidden layer */
    double *one[2];       /* forward_one ping-pong, widest layer */
    double *storage;      /* the one block every buffer above points into */
};

/* ---- shape ------------------------------------------------------------- */

struct ilrl_mlp *ilrl_mlp_alloc(const size_t *sizes, size_t n_sizes,
                                enum ilrl_activation activation)
{
    if (n_sizes < 2) {
        ilrl_error(ILRL_EUSAGE, "layers: a network needs at least an input and "
                   "an output size, got %zu size(s)", n_sizes);
        return NULL;
    }
    for (size_t i = 0; i < n_sizes; i++) {
        if (sizes[i] == 0 || sizes[i] > MAX_LAYER_SIZE) {
            ilrl_error(ILRL_EUSAGE, "layers: size %zu of layer list item %zu is "
                       "outside [1, %u]", sizes[i], i + 1, MAX_LAYER_SIZE);
            return NULL;
        }
    }
    if (sizes[n_sizes - 1] < 2) {
        ilrl_error(ILRL_EUSAGE, "layers: the output layer needs at least 2 "
                   "units (actions), got %zu", sizes[n_sizes - 1]);
        return NULL;
    }
    if (activation != ILRL_ACTIVATION_TANH && activation != ILRL_ACTIVATION_RELU) {
        ilrl_error(ILRL_EUSAGE, "activation: unknown activation code %d",
                   (int)activation);
        return NULL;
    }

    struct ilrl_mlp *mlp = calloc(1, sizeof *mlp);
    if (mlp == NULL)
        goto out_of_memory;
    mlp->n_layers = n_sizes - 1;
    mlp->activation = activation;
    mlp->sizes = malloc(n_sizes * sizeof *mlp->sizes);
    mlp->weight_offset = malloc(mlp->n_layers * sizeof *mlp->weight_offset);
    mlp->bias_offset = malloc(mlp->n_layers * sizeof *mlp->bias_offset);
    if (mlp->sizes == NULL || mlp->weight_offset == NULL || mlp->bias_offset == NULL)
        goto out_of_memory;
    memcpy(mlp->sizes, sizes, n_sizes * sizeof *sizes);

    size_t offset = 0;
    for (size_t l = 1; l <= mlp->n_layers; l++) {
        mlp->weight_offset[l - 1] = offset;
        offset += sizes[l] * sizes[l - 1];
        mlp->bias_offset[l - 1] = offset;
        offset += sizes[l];
    }
    mlp->n_params = offset;
    return mlp;

out_of_memory:
    ilrl_mlp_free(mlp);
    ilrl_error(ILRL_EFAILED, "network: out of memory");
    return NULL;
}

void ilrl_mlp_free(struct ilrl_mlp *mlp)
{
    if (mlp == NULL)
        return;
    free(mlp->sizes);
    free(mlp->weight_offset);
    free(mlp->bias_offset);
    free(mlp);
}

/* Reads a decimal unsigned number of at most `max` at *p, advancing *p.
 * Digits only: no sign, no spaces, no hex.  Returns 0 if none or too large. */
static int parse_count(const char **p, size_t max, size_t *value)
{
    const char *s = *p;
    size_t v = 0;
    if (!isdigit((unsigned char)*s))
        return 0;
    while (isdigit((unsigned char)*s)) {
        size_t digit = (size_t)(*s - '0');
        if (v > (SIZE_MAX - digit) / 10)
            return 0;
        v = v * 10 + digit;
        s++;
    }
    if (v > max)
        return 0;
    *p = s;
    *value = v;
    return 1;
}

int ilrl_mlp_parse_layers(const char *text, size_t **sizes, size_t *n_sizes)
{
    *sizes = NULL;
    *n_sizes = 0;
    if (text == NULL || *text == '\0')
        return ilrl_error(ILRL_EUSAGE, "--layers: empty layer list (expected "
                          "sizes like 12,64,64,2)");

    size_t count = 1;
    for (const char *c = text; *c; c++)
        count += (*c == ',');
    size_t *list = malloc(count * sizeof *list);
    if (list == NULL)
        return ilrl_error(ILRL_EFAILED, "--layers: out of memory");

    const char *p = text;
    for (size_t i = 0; i < count; i++) {
        const char *item = p;
        size_t item_len = strcspn(item, ",");
        size_t value;
        if (item_len == 0) {
            free(list);
            return ilrl_error(ILRL_EUSAGE, "--layers '%s': item %zu is empty "
                              "(expected sizes like 12,64,64,2)", text, i + 1);
        }
        if (!parse_count(&p, MAX_LAYER_SIZE, &value) || p != item + item_len) {
            free(list);
            return ilrl_error(ILRL_EUSAGE, "--layers '%s': item %zu '%.*s' is "
                              "not a whole number in [1, %u]", text, i + 1,
                              (int)item_len, item, MAX_LAYER_SIZE);
        }
        if (value == 0) {
            free(list);
            return ilrl_error(ILRL_EUSAGE, "--layers '%s': item %zu is 0; every "
                              "layer needs at least 1 unit", text, i + 1);
        }
        list[i] = value;
        p += (*p == ',');
    }
    if (count < 2) {
        free(list);
        return ilrl_error(ILRL_EUSAGE, "--layers '%s': a network needs at least "
                          "an input and an output size (e.g. 12,64,64,2)", text);
    }
    *sizes = list;
    *n_sizes = count;
    return ILRL_OK;
}

int ilrl_activation_parse(const char *name, enum ilrl_activation *activation)
{
    if (name != NULL && strcmp(name, "tanh") == 0) {
        *activation = ILRL_ACTIVATION_TANH;
        return ILRL_OK;
    }
    if (name != NULL && strcmp(name, "relu") == 0) {
        *activation = ILRL_ACTIVATION_RELU;
        return ILRL_OK;
    }
    return ilrl_error(ILRL_EUSAGE, "--activation '%s': expected tanh or relu",
                      name ? name : "");
}

const char *ilrl_activation_name(enum ilrl_activation activation)
{
    switch (activation) {
    case ILRL_ACTIVATION_TANH: return "tanh";
    case ILRL_ACTIVATION_RELU: return "relu";
    }
    return "unknown";
}

/* ---- initialisation and names ------------------------------------------ */

int ilrl_mlp_init(const struct ilrl_mlp *mlp, unsigned long seed, double *theta)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (rng == NULL)
        return ilrl_error(ILRL_EFAILED, "network initialisation: out of memory");
    gsl_rng_set(rng, seed);
    /* Layout order: W_1 row-major, b_1, W_2, b_2, ...; all of layer l share
     * the bound 1/sqrt(fan_in) with fan_in = sizes[l-1]. */
    for (size_t l = 1; l <= mlp->n_layers; l++) {
        double bound = 1.0 / sqrt((double)mlp->sizes[l - 1]);
        size_t begin = mlp->weight_offset[l - 1];
        size_t end = mlp->bias_offset[l - 1] + mlp->sizes[l];
        for (size_t i = begin; i < end; i++)
            theta[i] = -bound + 2.0 * bound * gsl_rng_uniform(rng);
    }
    gsl_rng_free(rng);
    return ILRL_OK;
}

int ilrl_mlp_param_index(const struct ilrl_mlp *mlp, const char *name,
                         size_t *index)
{
    const char *p = name;
    size_t layer, unit, input = 0;
    int is_weight;

    if (name == NULL)
        return ilrl_error(ILRL_EUSAGE, "parameter name: missing");
    if (*p != 'W' && *p != 'b')
        goto malformed;
    is_weight = (*p++ == 'W');
    if (!parse_count(&p, SIZE_MAX, &layer) || *p++ != '[')
        goto malformed;
    if (!parse_count(&p, SIZE_MAX, &unit))
        goto malformed;
    if (is_weight && (*p++ != ',' || !parse_count(&p, SIZE_MAX, &input)))
        goto malformed;
    if (*p++ != ']' || *p != '\0')
        goto malformed;

    if (layer < 1 || layer > mlp->n_layers)
        return ilrl_error(ILRL_EUSAGE, "%s: layer %zu does not exist; the network "
                          "has %zu layer(s), numbered 1..%zu", name, layer,
                          mlp->n_layers, mlp->n_layers);
    size_t n_out = mlp->sizes[layer], n_in = mlp->sizes[layer - 1];
    if (unit >= n_out)
        return ilrl_error(ILRL_EUSAGE, "%s: unit %zu is outside [0, %zu) of "
                          "layer %zu", name, unit, n_out, layer);
    if (is_weight && input >= n_in)
        return ilrl_error(ILRL_EUSAGE, "%s: input %zu is outside [0, %zu) of "
                          "layer %zu", name, input, n_in, layer);
    *index = is_weight ? mlp->weight_offset[layer - 1] + unit * n_in + input
                       : mlp->bias_offset[layer - 1] + unit;
    return ILRL_OK;

malformed:
    return ilrl_error(ILRL_EUSAGE, "'%s' is not a parameter name; expected "
                      "W<layer>[<unit>,<input>] or b<layer>[<unit>] (e.g. "
                      "W2[5,3], b1[7]) with decimal numbers and no spaces", name);
}

int ilrl_mlp_param_name(const struct ilrl_mlp *mlp, size_t index, char *buf,
                        size_t buf_size)
{
    if (buf_size > 0)
        buf[0] = '\0';
    if (index >= mlp->n_params)
        return ilrl_error(ILRL_EUSAGE, "parameter index %zu is outside [0, %zu)",
                          index, mlp->n_params);
    size_t l = mlp->n_layers;
    while (index < mlp->weight_offset[l - 1])
        l--;
    size_t n_in = mlp->sizes[l - 1];
    if (index < mlp->bias_offset[l - 1]) {
        size_t k = index - mlp->weight_offset[l - 1];
        snprintf(buf, buf_size, "W%zu[%zu,%zu]", l, k / n_in, k % n_in);
    } else {
        snprintf(buf, buf_size, "b%zu[%zu]", l, index - mlp->bias_offset[l - 1]);
    }
    return ILRL_OK;
}

/* ---- workspace ----------------------------------------------------------- */

struct ilrl_mlp_work *ilrl_mlp_work_alloc(const struct ilrl_mlp *mlp,
                                          size_t max_batch)
{
    size_t L = mlp->n_layers;
    size_t widest = 1, widest_hidden = 1, total = 0;

    if (max_batch == 0) {
        ilrl_error(ILRL_EFAILED, "network workspace: batch size 0");
        return NULL;
    }
    for (size_t l = 0; l <= L; l++) {
        if (mlp->sizes[l] > widest)
            widest = mlp->sizes[l];
        if (l >= 1 && l < L && mlp->sizes[l] > widest_hidden)
            widest_hidden = mlp->sizes[l];
        if (l >= 1)
            total += max_batch * mlp->sizes[l];
    }
    total += 2 * max_batch * widest_hidden + 2 * widest;

    struct ilrl_mlp_work *work = calloc(1, sizeof *work);
    if (work == NULL)
        goto out_of_memory;
    work->max_batch = max_batch;
    work->activation = calloc(L + 1, sizeof *work->activation);
    work->storage = malloc(total * sizeof *work->storage);
    if (work->activation == NULL || work->storage == NULL)
        goto out_of_memory;

    double *next = work->storage;
    for (size_t l = 1; l <= L; l++) {
        work->activation[l] = next;
        next += max_batch * mlp->sizes[l];
    }
    for (int i = 0; i < 2; i++) {
        work->delta[i] = next;
        next += max_batch * widest_hidden;
    }
    for (int i = 0; i < 2; i++) {
        work->one[i] = next;
        next += widest;
    }
    return work;

out_of_memory:
    ilrl_mlp_work_free(work);
    ilrl_error(ILRL_EFAILED, "network workspace: out of memory");
    return NULL;
}

void ilrl_mlp_work_free(struct ilrl_mlp_work *work)
{
    if (work == NULL)
        return;
    free(work->activation);
    free(work->storage);
    free(work);
}

size_t ilrl_mlp_work_max_batch(const struct ilrl_mlp_work *work)
{
    return work->max_batch;
}

/* ---- forward and backward ------------------------------------------------ */

/* a[i, j] = f(z[i, j] + b[j]) in place over an n x m block; identity for the
 * output layer.  One fused pass: the bias is not added separately.
 *
 * tanh is ilrl_tanh_kernel of vecmath.h (-u / (2 + u) with u = expm1(-2|z|),
 * vectorisable): glibc's tanh() cost 26 ns a call, the SIMD kernel ~1.3 ns
 * (AVX-512, 8 lanes), relative error <= 1e-15 against tanh() (checked in
 * tests/check_mlp.c and tests/check_vecmath.c).  Large |z| give exactly +-1.
 * Rows are cut into ILRL_VECTOR_LANES-wide pieces plus a scalar tail with
 * the same expression, so an entry's bits depend on z and b alone. */
ILRL_VECTOR_CLONES
void ilrl_mlp_activate(const struct ilrl_mlp *mlp, double *a, const double *b,
                       size_t n, size_t m, int is_output)
{
    const size_t lanes = ILRL_VECTOR_LANES;
    if (is_output) {
        for (size_t i = 0; i < n; i++, a += m)
            for (size_t j = 0; j < m; j++)
                a[j] += b[j];
    } else if (mlp->activation == ILRL_ACTIVATION_TANH) {
        for (size_t i = 0; i < n; i++, a += m) {
            size_t j = 0;
            for (; j + lanes <= m; j += lanes)
                for (size_t k = 0; k < lanes; k++)
                    a[j + k] = ilrl_tanh_kernel(a[j + k] + b[j + k]);
            for (; j < m; j++)
                a[j] = ilrl_tanh_kernel(a[j] + b[j]);
        }
    } else {
        for (size_t i = 0; i < n; i++, a += m)
            for (size_t j = 0; j < m; j++) {
                double z = a[j] + b[j];
                a[j] = z > 0.0 ? z : 0.0;
            }
    }
}

void ilrl_mlp_layer_forward(const struct ilrl_mlp *mlp, size_t layer,
                            const double *theta, const double *input, size_t n,
                            double *output, int activate)
{
    size_t n_in = mlp->sizes[layer - 1], n_out = mlp->sizes[layer];
    gsl_matrix_const_view A = gsl_matrix_const_view_array(input, n, n_in);
    gsl_matrix_const_view W = gsl_matrix_const_view_array(
        theta + mlp->weight_offset[layer - 1], n_out, n_in);
    gsl_matrix_view Z = gsl_matrix_view_array(output, n, n_out);
    gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, &A.matrix, &W.matrix,
                   0.0, &Z.matrix);
    ilrl_mlp_activate(mlp, output, theta + mlp->bias_offset[layer - 1], n, n_out,
                      layer == mlp->n_layers || !activate);
}

const double *ilrl_mlp_forward(const struct ilrl_mlp *mlp, const double *theta,
                               const double *x, size_t n,
                               struct ilrl_mlp_work *work)
{
    size_t L = mlp->n_layers;
    if (n == 0 || n > work->max_batch)
        return NULL;
    for (size_t l = 1; l <= L; l++)
        ilrl_mlp_layer_forward(mlp, l, theta, (l == 1) ? x : work->activation[l - 1],
                               n, work->activation[l], 1);
    return work->activation[L];
}

void ilrl_mlp_forward_one(const struct ilrl_mlp *mlp, const double *theta,
                          const double *x, double *logits,
                          struct ilrl_mlp_work *work)
{
    size_t L = mlp->n_layers;
    const double *input = x;
    for (size_t l = 1; l <= L; l++) {
        size_t n_in = mlp->sizes[l - 1], n_out = mlp->sizes[l];
        const double *W = theta + mlp->weight_offset[l - 1];
        const double *b = theta + mlp->bias_offset[l - 1];
        double *out = (l == L) ? logits : work->one[l % 2];
        for (size_t j = 0; j < n_out; j++, W += n_in) {
            double z = 0.0;
            for (size_t k = 0; k < n_in; k++)
                z += W[k] * input[k];
            out[j] = z;
        }
        ilrl_mlp_activate(mlp, out, b, 1, n_out, l == L);
        input = out;
    }
}

/* ---- row-wise batches -----------------------------------------------------
 *
 * The kernel behind ilrl_mlp_forward_rows() (the bit-for-bit contract is in
 * mlp.h): blocks of 4 rows x 8 outputs in 8 four-lane accumulators, each
 * accumulator lane one output of one row summing its products in k order
 * from 0.0 -- forward_one's arithmetic exactly, with the lanes side by side.
 * Products and sums are separate statements and the function is compiled
 * with fp-contract off, so no variant fuses them into an FMA (that would
 * round once instead of twice and part from forward_one, which is built
 * for the baseline ISA without FMA).  Rows past a multiple of 4 run the
 * same code with fewer rows, outputs past a multiple of 8 (the output
 * layer's K) a 4-lane and then a scalar loop of the same arithmetic: none
 * of this changes any row's bits.  Measured on Zen 3/4 (AVX2 variant,
 * 12,64,64,2): ~0.25 us a row for the three layers against ~3.5 us for
 * forward_one, whose sums are one dependent chain per output. */
typedef double ilrl_v4d __attribute__((vector_size(32)));

#if defined(__GNUC__) && !defined(__clang__)
#define ROWS_NO_FMA __attribute__((optimize("fp-contract=off")))
#else
#define ROWS_NO_FMA
#endif

size_t ilrl_mlp_packed_size(const struct ilrl_mlp *mlp)
{
    size_t total = 0;
    for (size_t l = 1; l <= mlp->n_layers; l++)
        total += mlp->sizes[l - 1] * mlp->sizes[l];
    return total;
}

void ilrl_mlp_pack(const struct ilrl_mlp *mlp, const double *theta, double *packed)
{
    for (size_t l = 1; l <= mlp->n_layers; l++) {
        size_t n_in = mlp->sizes[l - 1], n_out = mlp->sizes[l];
        const double *W = theta + mlp->weight_offset[l - 1];
        for (size_t j = 0; j < n_out; j++)
            for (size_t k = 0; k < n_in; k++)
                packed[k * n_out + j] = W[j * n_in + k];
        packed += n_in * n_out;
    }
}

/* Unaligned 4-lane load and store (macros: a function returning a vector
 * would change the ABI of the baseline variant). */
#define LOAD4(v, p) memcpy(&(v), (p), sizeof(v))
#define STORE4(p, v) memcpy((p), &(v), sizeof(v))

/* R (1..4) rows of `in` (R x n_in) times wt (n_in x n_out) into out. */
static inline __attribute__((always_inline)) void rows_block(const double *in, size_t n_in,
                                                             const double *wt, size_t n_out,
                                                             double *out, const size_t R)
{
    size_t j = 0;
    for (; j + 8 <= n_out; j += 8) {
        ilrl_v4d a0[4], a1[4];
#pragma GCC unroll 4
        for (size_t r = 0; r < R; r++)
            a0[r] = a1[r] = (ilrl_v4d){0.0, 0.0, 0.0, 0.0};
        const double *w = wt + j;
        for (size_t k = 0; k < n_in; k++, w += n_out) {
            ilrl_v4d w0, w1;
            LOAD4(w0, w);
            LOAD4(w1, w + 4);
    #pragma GCC unroll 4
        for (size_t r = 0; r < R; r++) {
                double v = in[r * n_in + k];
                ilrl_v4d xb = {v, v, v, v};
                ilrl_v4d p0 = xb * w0;
                ilrl_v4d p1 = xb * w1;
                a0[r] = a0[r] + p0;
                a1[r] = a1[r] + p1;
            }
        }
#pragma GCC unroll 4
        for (size_t r = 0; r < R; r++) {
            STORE4(out + r * n_out + j, a0[r]);
            STORE4(out + r * n_out + j + 4, a1[r]);
        }
    }
    for (; j + 4 <= n_out; j += 4) {
        ilrl_v4d a0[4];
#pragma GCC unroll 4
        for (size_t r = 0; r < R; r++)
            a0[r] = (ilrl_v4d){0.0, 0.0, 0.0, 0.0};
        const double *w = wt + j;
        for (size_t k = 0; k < n_in; k++, w += n_out) {
            ilrl_v4d w0;
            LOAD4(w0, w);
    #pragma GCC unroll 4
        for (size_t r = 0; r < R; r++) {
                double v = in[r * n_in + k];
                ilrl_v4d xb = {v, v, v, v};
                ilrl_v4d p0 = xb * w0;
                a0[r] = a0[r] + p0;
            }
        }
#pragma GCC unroll 4
        for (size_t r = 0; r < R; r++)
            STORE4(out + r * n_out + j, a0[r]);
    }
    for (; j < n_out; j++)
#pragma GCC unroll 4
        for (size_t r = 0; r < R; r++) {
            double z = 0.0;
            const double *x = in + r * n_in;
            for (size_t k = 0; k < n_in; k++) {
                double p = x[k] * wt[k * n_out + j];
                z = z + p;
            }
            out[r * n_out + j] = z;
        }
}

ILRL_VECTOR_CLONES ROWS_NO_FMA
static void rows_layer(const double *in, size_t n, size_t n_in, const double *wt,
                       size_t n_out, double *out)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        rows_block(in + i * n_in, n_in, wt, n_out, out + i * n_out, 4);
    switch (n - i) {
    case 3: rows_block(in + i * n_in, n_in, wt, n_out, out + i * n_out, 3); break;
    case 2: rows_block(in + i * n_in, n_in, wt, n_out, out + i * n_out, 2); break;
    case 1: rows_block(in + i * n_in, n_in, wt, n_out, out + i * n_out, 1); break;
    default: break;
    }
}

const double *ilrl_mlp_forward_rows(const struct ilrl_mlp *mlp, const double *theta,
                                    const double *packed, const double *x, size_t n,
                                    struct ilrl_mlp_work *work)
{
    size_t L = mlp->n_layers;
    if (n == 0 || n > work->max_batch)
        return NULL;
    const double *input = x;
    for (size_t l = 1; l <= L; l++) {
        size_t n_in = mlp->sizes[l - 1], n_out = mlp->sizes[l];
        double *out = work->activation[l];
        rows_layer(input, n, n_in, packed, n_out, out);
        ilrl_mlp_activate(mlp, out, theta + mlp->bias_offset[l - 1], n, n_out, l == L);
        packed += n_in * n_out;
        input = out;
    }
    return work->activation[L];
}

void ilrl_mlp_backward(const struct ilrl_mlp *mlp, const double *theta,
                       const double *x, size_t n, const double *d_logits,
                       struct ilrl_mlp_work *work, double *grad)
{
    size_t L = mlp->n_layers;
    const double *delta = d_logits;   /* n x sizes[l]: dLoss / dZ_l */
    for (size_t l = L; l >= 1; l--) {
        size_t n_in = mlp->sizes[l - 1], n_out = mlp->sizes[l];
        const double *input = (l == 1) ? x : work->activation[l - 1];
        gsl_matrix_const_view D = gsl_matrix_const_view_array(delta, n, n_out);
        gsl_matrix_const_view A = gsl_matrix_const_view_array(input, n, n_in);
        gsl_matrix_view GW = gsl_matrix_view_array(
            grad + mlp->weight_offset[l - 1], n_out, n_in);

        /* dW_l += D^T A_{l-1};  db_l += column sums of D (rows in order). */
        gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, &D.matrix, &A.matrix,
                       1.0, &GW.matrix);
        double *gb = grad + mlp->bias_offset[l - 1];
        const double *row = delta;
        for (size_t i = 0; i < n; i++, row += n_out)
            for (size_t j = 0; j < n_out; j++)
                gb[j] += row[j];

        if (l == 1)
            break;
        /* D_{l-1} = (D_l W_l) .* f'(A_{l-1}), f' read off the activation. */
        double *next = work->delta[l % 2];
        gsl_matrix_const_view W = gsl_matrix_const_view_array(
            theta + mlp->weight_offset[l - 1], n_out, n_in);
        gsl_matrix_view DN = gsl_matrix_view_array(next, n, n_in);
        gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &D.matrix, &W.matrix,
                       0.0, &DN.matrix);
        size_t count = n * n_in;
        if (mlp->activation == ILRL_ACTIVATION_TANH) {
            for (size_t k = 0; k < count; k++)
                next[k] *= 1.0 - input[k] * input[k];
        } else {
            for (size_t k = 0; k < count; k++)
                if (!(input[k] > 0.0))
                    next[k] = 0.0;
        }
        delta = next;
    }
}

double ilrl_log_softmax(const double *logits, size_t k, double *out)
{
    double max = logits[0];
    for (size_t a = 1; a < k; a++)
        if (logits[a] > max)
            max = logits[a];
    double sum = 0.0;
    for (size_t a = 0; a < k; a++)
        sum += exp(logits[a] - max);
    double log_sum = log(sum);   /* in [0, log k]: sum >= 1 holds the max's 1 */
    if (out != NULL)
        for (size_t a = 0; a < k; a++)
            out[a] = (logits[a] - max) - log_sum;
    return max + log_sum;
}

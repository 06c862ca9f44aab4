/* mlp.h -- the policy network (docs/network-and-losses.md).
 *
 * Layer sizes [D, H1, ..., Hk, K]; L = n_sizes - 1 weight layers, numbered
 * 1..L in names.  Hidden activation tanh or relu, linear output (logits),
 * pi(a|s) = softmax(logits).  The parameter vector theta is flat: for l = 1..L,
 * W_l row-major (out x in) then b_l.  "W2[5,3]" is layer 2, output unit 5,
 * input 3 (zero-based); "b1[7]" is layer 1's bias of unit 7.
 *
 * The struct describes the shape only; parameters always travel as a plain
 * double array of n_params, so a plane can form theta0 + x dx + y dy without
 * the network knowing.  Forward passes use a workspace allocated once
 * (ilrl_mlp_work_alloc) and never allocate themselves.
 */
#ifndef ILRL_MLP_H
#define ILRL_MLP_H

#include <stddef.h>

enum ilrl_activation { ILRL_ACTIVATION_TANH = 0, ILRL_ACTIVATION_RELU = 1 };

struct ilrl_mlp {
    size_t n_layers;          /* L >= 1 */
    size_t *sizes;            /* L + 1 entries, each >= 1; sizes[L] = K >= 2 */
    enum ilrl_activation activation;
    size_t n_params;          /* P = sum over l of sizes[l] * (sizes[l-1] + 1) */
    size_t *weight_offset;    /* L: index of W_l[0,0] in theta (layer l at [l-1]) */
    size_t *bias_offset;      /* L: index of b_l[0] in theta */
};

/* Builds the shape.  NULL (error recorded, EUSAGE-worded) when n_sizes < 2,
 * a size is 0, the output has fewer than 2 units, or out of memory. */
struct ilrl_mlp *ilrl_mlp_alloc(const size_t *sizes, size_t n_sizes,
                                enum ilrl_activation activation);
void ilrl_mlp_free(struct ilrl_mlp *mlp);

/* Parses "12,64,64,2" into a malloc'd array (*sizes, caller frees).
 * ILRL_EUSAGE with the offending item named on a bad list. */
int ilrl_mlp_parse_layers(const char *text, size_t **sizes, size_t *n_sizes);

/* "tanh" / "relu" <-> enum.  Parse returns ILRL_OK or ILRL_EUSAGE. */
int ilrl_activation_parse(const char *name, enum ilrl_activation *activation);
const char *ilrl_activation_name(enum ilrl_activation activation);

/* The initialisation (docs/network-and-losses.md): every entry ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
 * drawn in layout order from gsl_rng_mt19937 seeded with `seed`. */
int ilrl_mlp_init(const struct ilrl_mlp *mlp, unsigned long seed, double *theta);

/* "W2[5,3]" / "b1[7]" -> index in theta.  ILRL_EUSAGE naming the problem
 * ("W4[0,0]: the network has 3 layers", "W2[64,0]: unit 64 is outside
 * [0, 64)") on a malformed or out-of-range name. */
int ilrl_mlp_param_index(const struct ilrl_mlp *mlp, const char *name,
                         size_t *index);

/* index -> "W2[5,3]" in buf (always terminated).  ILRL_EUSAGE if index >= P. */
int ilrl_mlp_param_name(const struct ilrl_mlp *mlp, size_t index, char *buf,
                        size_t buf_size);

/* Workspace for batches of up to max_batch samples (activations of every
 * layer, kept for backpropagation).  NULL on out of memory. */
struct ilrl_mlp_work;
struct ilrl_mlp_work *ilrl_mlp_work_alloc(const struct ilrl_mlp *mlp,
                                          size_t max_batch);
void ilrl_mlp_work_free(struct ilrl_mlp_work *work);

/* The max_batch the workspace was allocated for. */
size_t ilrl_mlp_work_max_batch(const struct ilrl_mlp_work *work);

/* Batched forward pass of n <= max_batch samples (x: n x D row-major) with
 * gsl_blas_dgemm per layer.  Returns a pointer to the n x K logits inside the
 * workspace (valid until the next call); NULL if n is 0 or > max_batch. */
const double *ilrl_mlp_forward(const struct ilrl_mlp *mlp, const double *theta,
                               const double *x, size_t n,
                               struct ilrl_mlp_work *work);

/* One layer of the batched pass, the building block of ilrl_mlp_forward()
 * and of the plane evaluator: output (n x sizes[layer]) = input W_l^T + b_l
 * (one gsl_blas_dgemm), then the hidden activation if `activate` and layer
 * < L.  layer in 1..L; input is n x sizes[layer - 1]; no allocation. */
void ilrl_mlp_layer_forward(const struct ilrl_mlp *mlp, size_t layer,
                            const double *theta, const double *input, size_t n,
                            double *output, int activate);

/* a[i, j] = f(a[i, j] + b[j]) in place over an n x m row-major block, f the
 * network's hidden activation, or the identity when is_output.  Vectorised
 * (vecmath.h); an entry's bits depend only on a[i, j] and b[j]. */
void ilrl_mlp_activate(const struct ilrl_mlp *mlp, double *a, const double *b,
                       size_t n, size_t m, int is_output);

/* Backpropagation through the batch of the last ilrl_mlp_forward() (same
 * theta, x, n and work): given d_logits (n x K, dLoss/dlogits per sample),
 * ADDS dLoss/dtheta to grad[n_params].  Leaves the forward activations
 * intact, so it may be called once per loss after one forward pass. */
void ilrl_mlp_backward(const struct ilrl_mlp *mlp, const double *theta,
                       const double *x, size_t n, const double *d_logits,
                       struct ilrl_mlp_work *work, double *grad);

/* One sample, no allocation, for rollouts: logits[K].  Agrees with the
 * batched pass to 1e-12. */
void ilrl_mlp_forward_one(const struct ilrl_mlp *mlp, const double *theta,
                          const double *x, double *logits,
                          struct ilrl_mlp_work *work);

/* ---- row-wise batches (lockstep rollouts, rollout.h) --------------------------
 * The logits of row i of ilrl_mlp_forward_rows() equal ilrl_mlp_forward_one()
 * of that row bit for bit, whatever n and whatever the other rows are: each
 * output is 0.0 plus the products W[j,k] x[k] added in k order, every
 * product rounded before its addition (no fused multiply-add), then
 * ilrl_mlp_activate(); only the order in which independent outputs are
 * computed differs.  OpenBLAS's dgemm gives no such promise: a row's bits
 * depend on the batch's size and the row's place in it (OpenBLAS 0.3.21,
 * Zen kernels: 3969 of 4096 rows of 12,64,64,2 differed from a batch of
 * one, tests/check_mlp.c), so a rollout whose batch shrinks as episodes
 * end could not use it and stay exact. */

/* Doubles of the packed weights: sum over l of sizes[l-1] * sizes[l]. */
size_t ilrl_mlp_packed_size(const struct ilrl_mlp *mlp);

/* packed = W_l^T (in x out, row-major) of every layer in turn, from theta. */
void ilrl_mlp_pack(const struct ilrl_mlp *mlp, const double *theta, double *packed);

/* Forward pass of n <= max_batch rows (x: n x D) with theta's biases and
 * its weights packed by ilrl_mlp_pack(); leaves every layer's activation
 * in the workspace as ilrl_mlp_forward() does.  Returns the n x K logits
 * in the workspace; NULL if n is 0 or > max_batch. */
const double *ilrl_mlp_forward_rows(const struct ilrl_mlp *mlp, const double *theta,
                                    const double *packed, const double *x, size_t n,
                                    struct ilrl_mlp_work *work);

/* Stable log-softmax: out[a] = logits[a] - logsumexp(logits); returns the
 * log-sum-exp.  Finite for logits of any finite magnitude.  out may be NULL
 * (only the log-sum-exp is wanted). */
double ilrl_log_softmax(const double *logits, size_t k, double *out);

#endif /* ILRL_MLP_H */

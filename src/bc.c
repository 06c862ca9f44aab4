/* bc.c -- owns behaviour cloning's minibatch loss and gradient in chunks,
 * the in-order reduction of partial sums, and the epoch shuffle (contract
 * in include/ilrl/bc.h).
 *
 * A chunk gathers its samples' rows into one contiguous block (C x D, the
 * minibatch indexes the demo at random), runs the batched forward pass
 * (one dgemm per layer), forms log pi with loss.c's ilrl_loss_accumulate
 * (the same SIMD log-softmax as the landscape's L_IL), and backpropagates
 * dL/dz = softmax(z) - onehot(a) with ilrl_mlp_backward into a zeroed
 * gradient.  Everything depends on the chunk's samples only.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "ilrl/bc.h"
#include "ilrl/error.h"
#include "ilrl/loss.h"
#include "ilrl/seed.h"

struct ilrl_bc_work {
    size_t n_features;            /* D */
    size_t n_actions;             /* K */
    size_t n_params;              /* P */
    struct ilrl_mlp_work *network;/* CHUNK rows */
    double *x;                    /* CHUNK x D gathered observations */
    int *action;                  /* CHUNK gathered actions */
    double *ones;                 /* CHUNK weights of 1 for ilrl_loss_accumulate */
    double *log_prob;             /* CHUNK */
    double *d_logits;             /* CHUNK x K */
    double *chunk_grad;           /* P: one chunk's sum, for ilrl_bc_minibatch */
};

struct ilrl_bc_work *ilrl_bc_work_alloc(const struct ilrl_mlp *mlp,
                                        size_t n_features)
{
    const size_t C = ILRL_BC_CHUNK;
    struct ilrl_bc_work *work = calloc(1, sizeof *work);
    if (work == NULL)
        goto out_of_memory;
    work->n_features = n_features;
    work->n_actions = mlp->sizes[mlp->n_layers];
    work->n_params = mlp->n_params;
    work->network = ilrl_mlp_work_alloc(mlp, C);
    work->x = malloc(C * (n_features ? n_features : 1) * sizeof *work->x);
    work->action = malloc(C * sizeof *work->action);
    work->ones = malloc(C * sizeof *work->ones);
    work->log_prob = malloc(C * sizeof *work->log_prob);
    work->d_logits = malloc(C * work->n_actions * sizeof *work->d_logits);
    work->chunk_grad = malloc(mlp->n_params * sizeof *work->chunk_grad);
    if (work->network == NULL || work->x == NULL || work->action == NULL
        || work->ones == NULL || work->log_prob == NULL || work->d_logits == NULL
        || work->chunk_grad == NULL)
        goto out_of_memory;
    for (size_t i = 0; i < C; i++)
        work->ones[i] = 1.0;
    return work;

out_of_memory:
    ilrl_bc_work_free(work);
    ilrl_error(ILRL_EFAILED, "behaviour cloning workspace: out of memory");
    return NULL;
}

void ilrl_bc_work_free(struct ilrl_bc_work *work)
{
    if (work == NULL)
        return;
    ilrl_mlp_work_free(work->network);
    free(work->x);
    free(work->action);
    free(work->ones);
    free(work->log_prob);
    free(work->d_logits);
    free(work->chunk_grad);
    free(work);
}

size_t ilrl_bc_n_chunks(size_t batch_size)
{
    return (batch_size + ILRL_BC_CHUNK - 1) / ILRL_BC_CHUNK;
}

void ilrl_bc_chunk(const struct ilrl_mlp *mlp, const double *theta,
                   const struct ilrl_bc_samples *samples, const size_t *index,
                   size_t batch_size, size_t chunk, struct ilrl_bc_work *work,
                   double *loss_sum, double *grad_sum)
{
    const size_t D = work->n_features, K = work->n_actions;
    const size_t begin = chunk * ILRL_BC_CHUNK;
    const size_t n = batch_size - begin < ILRL_BC_CHUNK ? batch_size - begin
                                                        : ILRL_BC_CHUNK;
    const double *x;
    const int *action;

    if (index == NULL) {            /* contiguous: no copy */
        x = samples->obs + begin * D;
        action = samples->action + begin;
    } else {
        for (size_t i = 0; i < n; i++) {
            size_t s = index[begin + i];
            memcpy(work->x + i * D, samples->obs + s * D, D * sizeof *work->x);
            work->action[i] = samples->action[s];
        }
        x = work->x;
        action = work->action;
    }

    const double *logits = ilrl_mlp_forward(mlp, theta, x, n, work->network);
    double il_sum = 0.0, unused = 0.0;
    ilrl_loss_accumulate(logits, n, K, action, work->ones, work->log_prob,
                         &il_sum, &unused);
    /* d(-l_i)/dz_a = softmax_a - [a = a_i], softmax_a = exp(z_a - lse) with
     * lse = z_{a_i} - l_i (as loss.c forms it). */
    for (size_t i = 0; i < n; i++) {
        const double *z = logits + i * K;
        double *d = work->d_logits + i * K;
        double log_sum_exp = z[action[i]] - work->log_prob[i];
        for (size_t a = 0; a < K; a++)
            d[a] = exp(z[a] - log_sum_exp) - ((int)a == action[i] ? 1.0 : 0.0);
    }
    memset(grad_sum, 0, work->n_params * sizeof *grad_sum);
    ilrl_mlp_backward(mlp, theta, x, n, work->d_logits, work->network, grad_sum);
    *loss_sum = -il_sum;
}

void ilrl_bc_add_part(size_t n_params, double part_value, const double *part_grad,
                      double *value_acc, double *grad_acc)
{
    *value_acc += part_value;
    for (size_t k = 0; grad_acc != NULL && k < n_params; k++)
        grad_acc[k] += part_grad[k];
}

void ilrl_bc_finish(size_t n_params, size_t n_samples, double *value_acc,
                    double *grad_acc)
{
    const double n = (double)n_samples;
    *value_acc /= n;
    for (size_t k = 0; grad_acc != NULL && k < n_params; k++)
        grad_acc[k] /= n;
}

void ilrl_bc_sum_parts(size_t n_params, size_t n_parts, const double *part_value,
                       const double *part_grad, size_t n_samples, double *value,
                       double *grad)
{
    double sum = 0.0;
    if (grad != NULL)
        memset(grad, 0, n_params * sizeof *grad);
    for (size_t p = 0; p < n_parts; p++)
        ilrl_bc_add_part(n_params, part_value[p],
                         grad != NULL ? part_grad + p * n_params : NULL, &sum, grad);
    ilrl_bc_finish(n_params, n_samples, &sum, grad);
    if (value != NULL)
        *value = sum;
}

void ilrl_bc_minibatch(const struct ilrl_mlp *mlp, const double *theta,
                       const struct ilrl_bc_samples *samples, const size_t *index,
                       size_t batch_size, struct ilrl_bc_work *work,
                       double *loss, double *grad)
{
    const size_t P = work->n_params;
    double sum = 0.0;
    memset(grad, 0, P * sizeof *grad);
    for (size_t c = 0; c < ilrl_bc_n_chunks(batch_size); c++) {
        double chunk_loss;
        ilrl_bc_chunk(mlp, theta, samples, index, batch_size, c, work,
                      &chunk_loss, work->chunk_grad);
        ilrl_bc_add_part(P, chunk_loss, work->chunk_grad, &sum, grad);
    }
    ilrl_bc_finish(P, batch_size, &sum, grad);
    if (loss != NULL)
        *loss = sum;
}

int ilrl_bc_shuffle(uint64_t seed, uint64_t epoch, size_t n, size_t *order)
{
    if (n > UINT32_MAX)   /* gsl_rng_uniform_int draws below mt19937's 2^32 */
        return ilrl_error(ILRL_EINPUT, "minibatch shuffle: %zu samples, more "
                          "than the %lu this shuffle can order", n,
                          (unsigned long)UINT32_MAX);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (rng == NULL)
        return ilrl_error(ILRL_EFAILED, "minibatch shuffle: out of memory");
    uint64_t stream = ilrl_seed_derive(seed, ILRL_BC_STREAM);
    gsl_rng_set(rng, ilrl_seed_low32(ilrl_seed_derive(stream, epoch)));
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)gsl_rng_uniform_int(rng, (unsigned long)i);
        size_t swap = order[i - 1];
        order[i - 1] = order[j];
        order[j] = swap;
    }
    gsl_rng_free(rng);
    return ILRL_OK;
}

/* loss.c -- owns the IL and RL losses of docs/network-and-losses.md and their gradients, and
 * the per-step RL weights (reward-to-go, advantage, AWR).
 *
 * The landscape engine calls ilrl_loss_eval() at every grid point (10^4 to
 * 10^6 times per run), almost always without gradients, so that path is
 * built for speed: samples go through the network in blocks of LOSS_BLOCK
 * rows (three dgemm calls per block for 12,64,64,2), then
 * ilrl_loss_accumulate() -- shared with the plane evaluator -- forms each
 * sample's log-probability with the SIMD exp/log of vecmath.h and adds both
 * losses' terms.  With gradients, dL/dlogits follows from the stored
 * log-probabilities and ilrl_mlp_backward() accumulates dL/dtheta.
 *
 * Determinism: the block size is a constant, never derived from the caller,
 * the blocks run in sample order and every sum runs in a fixed order, so a
 * loss value depends on (network, theta, data) alone -- bit for bit, whatever
 * the MPI rank count that decided who evaluates the point.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/error.h"
#include "ilrl/loss.h"
#include "ilrl/vecmath.h"

/* Samples per dgemm block.  Changing it changes results in the last bits.
 * 256 rows keep a 64-wide hidden layer at 128 KiB, inside L2, for any N;
 * on 12,64,64,2 with N = 2000, blocks of 64 ... 2000 rows ran equally fast
 * within noise (~1e6 samples/s with libm's exp(), ~2.2e6 with vecmath.h). */
#define LOSS_BLOCK ILRL_LOSS_BLOCK

/* AWR weights are clipped here (docs/network-and-losses.md). */
#define AWR_WEIGHT_MAX 20.0

struct ilrl_loss_work {
    size_t max_steps;              /* the n_steps given to alloc */
    size_t block;                  /* min(LOSS_BLOCK, max_steps) rows */
    size_t n_actions;              /* K */
    struct ilrl_mlp_work *network; /* activations of one block */
    double *d_il;                  /* block x K: dL_IL / dlogits (times N) */
    double *d_rl;                  /* block x K: dL_RL / dlogits (times N) */
    double *log_prob;              /* block: l_t of each sample */
};

/* ---- RL weights ------------------------------------------------------------ */

int ilrl_rl_weight_parse(const char *text, struct ilrl_rl_weight *weight)
{
    if (text != NULL && strcmp(text, "return") == 0) {
        weight->kind = ILRL_RL_WEIGHT_RETURN;
        weight->beta = 0.0;
        return ILRL_OK;
    }
    if (text != NULL && strcmp(text, "advantage") == 0) {
        weight->kind = ILRL_RL_WEIGHT_ADVANTAGE;
        weight->beta = 0.0;
        return ILRL_OK;
    }
    if (text != NULL && strncmp(text, "awr:", 4) == 0) {
        char *end;
        double beta = strtod(text + 4, &end);
        if (end == text + 4 || *end != '\0' || !isfinite(beta) || !(beta > 0.0))
            return ilrl_error(ILRL_EUSAGE, "--rl-weight '%s': BETA must be a "
                              "finite number > 0 (e.g. awr:1)", text);
        weight->kind = ILRL_RL_WEIGHT_AWR;
        weight->beta = beta;
        return ILRL_OK;
    }
    return ilrl_error(ILRL_EUSAGE, "--rl-weight '%s': expected return, advantage "
                      "or awr:BETA", text ? text : "");
}

void ilrl_rl_weight_format(struct ilrl_rl_weight weight, char *buf, size_t buf_size)
{
    switch (weight.kind) {
    case ILRL_RL_WEIGHT_RETURN:
        snprintf(buf, buf_size, "return");
        return;
    case ILRL_RL_WEIGHT_ADVANTAGE:
        snprintf(buf, buf_size, "advantage");
        return;
    case ILRL_RL_WEIGHT_AWR:
        /* The shortest text that parses back to the same double. */
        for (int digits = 1; digits <= 17; digits++) {
            char number[40];
            snprintf(number, sizeof number, "%.*g", digits, weight.beta);
            if (strtod(number, NULL) == weight.beta || digits == 17) {
                snprintf(buf, buf_size, "awr:%s", number);
                return;
            }
        }
    }
    snprintf(buf, buf_size, "unknown");
}

void ilrl_reward_to_go(const struct ilrl_demo *demo, double gamma, double *G)
{
    /* Backward recursion G_t = r_t + gamma G_{t+1}, G = 0 after the episode's
     * last step: terminated and truncated episodes alike (no bootstrap). */
    for (size_t e = 0; e < demo->n_episodes; e++) {
        size_t begin = (size_t)demo->episode_start[e];
        size_t t = begin + (size_t)demo->episode_length[e];
        double g = 0.0;
        while (t > begin) {
            t--;
            g = demo->reward[t] + gamma * g;
            G[t] = g;
        }
    }
}

void ilrl_rl_weights(const struct ilrl_demo *demo, struct ilrl_rl_weight weight,
                     double gamma, double *w)
{
    size_t n = demo->n_steps;
    ilrl_reward_to_go(demo, gamma, w);
    if (weight.kind == ILRL_RL_WEIGHT_RETURN)
        return;

    double sum = 0.0;
    for (size_t t = 0; t < n; t++)
        sum += w[t];
    double mean = sum / (double)n;
    double squares = 0.0;
    for (size_t t = 0; t < n; t++)
        squares += (w[t] - mean) * (w[t] - mean);
    double std = sqrt(squares / (double)n);   /* population std */

    if (weight.kind == ILRL_RL_WEIGHT_ADVANTAGE) {
        for (size_t t = 0; t < n; t++)
            w[t] -= mean;
        return;
    }
    /* AWR.  When every G_t is equal (std = 0) every advantage is 0 and every
     * weight exp(0) = 1, rather than 0/0. */
    for (size_t t = 0; t < n; t++) {
        double e = std > 0.0 ? exp((w[t] - mean) / (std * weight.beta)) : 1.0;
        w[t] = e < AWR_WEIGHT_MAX ? e : AWR_WEIGHT_MAX;
    }
}

/* ---- losses ------------------------------------------------------------------ */

int ilrl_loss_data_check(const struct ilrl_mlp *mlp,
                         const struct ilrl_loss_data *data)
{
    size_t K = mlp->sizes[mlp->n_layers];
    if (data->n_steps == 0)
        return ilrl_error(ILRL_EINPUT, "loss data: no samples");
    if (data->n_features != mlp->sizes[0])
        return ilrl_error(ILRL_EUSAGE, "--layers: the network takes %zu inputs "
                          "but the demonstration has %zu features",
                          mlp->sizes[0], data->n_features);
    for (size_t t = 0; t < data->n_steps; t++) {
        if (data->action[t] < 0 || (size_t)data->action[t] >= K)
            return ilrl_error(ILRL_EINPUT, "action[%zu] = %d is outside [0, %zu) "
                              "(the network's output size)", t,
                              data->action[t], K);
        if (!isfinite(data->weight[t]))
            return ilrl_error(ILRL_EINPUT, "RL weight[%zu] is not finite", t);
    }
    for (size_t i = 0; i < data->n_steps * data->n_features; i++)
        if (!isfinite(data->obs[i]))
            return ilrl_error(ILRL_EINPUT, "obs[%zu, %zu] is not finite",
                              i / data->n_features, i % data->n_features);
    return ILRL_OK;
}

struct ilrl_loss_work *ilrl_loss_work_alloc(const struct ilrl_mlp *mlp,
                                            size_t n_steps)
{
    if (n_steps == 0) {
        ilrl_error(ILRL_EFAILED, "loss workspace: no samples");
        return NULL;
    }
    struct ilrl_loss_work *work = calloc(1, sizeof *work);
    if (work == NULL)
        goto out_of_memory;
    work->max_steps = n_steps;
    work->block = n_steps < LOSS_BLOCK ? n_steps : LOSS_BLOCK;
    work->n_actions = mlp->sizes[mlp->n_layers];
    work->network = ilrl_mlp_work_alloc(mlp, work->block);
    work->d_il = malloc(work->block * work->n_actions * sizeof *work->d_il);
    work->d_rl = malloc(work->block * work->n_actions * sizeof *work->d_rl);
    work->log_prob = malloc(work->block * sizeof *work->log_prob);
    if (work->network == NULL || work->d_il == NULL || work->d_rl == NULL
        || work->log_prob == NULL)
        goto out_of_memory;
    return work;

out_of_memory:
    ilrl_loss_work_free(work);
    ilrl_error(ILRL_EFAILED, "loss workspace: out of memory");
    return NULL;
}

void ilrl_loss_work_free(struct ilrl_loss_work *work)
{
    if (work == NULL)
        return;
    ilrl_mlp_work_free(work->network);
    free(work->d_il);
    free(work->d_rl);
    free(work->log_prob);
    free(work);
}

/* One sample's log-probability of its action, log softmax(z)[a]: the max
 * is taken first so that exp() sees only arguments <= 0.  For K = 2 the
 * max's term is exp(0) = 1 exactly, so the sum is 1 + exp(min - max): one
 * exp and one log per sample, and selects instead of indexed loads. */
ILRL_KERNEL double log_prob_two(const double *z, int action)
{
    double z0 = z[0], z1 = z[1];
    double max = z1 > z0 ? z1 : z0;
    double min = z1 > z0 ? z0 : z1;
    double chosen = action == 0 ? z0 : z1;
    return (chosen - max) - ilrl_log_kernel(1.0 + ilrl_exp_kernel(min - max));
}

ILRL_KERNEL double log_prob_any(const double *z, size_t K, int action)
{
    double max = z[0];
    for (size_t a = 1; a < K; a++)
        max = z[a] > max ? z[a] : max;
    double sum = 0.0;
    for (size_t a = 0; a < K; a++)
        sum += ilrl_exp_kernel(z[a] - max);
    return (z[action] - max) - ilrl_log_kernel(sum);   /* log: sum in [1, K] */
}

ILRL_VECTOR_CLONES
void ilrl_loss_accumulate(const double *logits, size_t n, size_t n_actions,
                          const int *action, const double *weight,
                          double *log_prob, double *il_sum, double *rl_sum)
{
    enum { LANES = ILRL_VECTOR_LANES };
    const size_t K = n_actions;
    /* Two simple loops the vectoriser takes whole: log-probabilities, then
     * LANES interleaved partial sums. */
    if (K == 2)
        for (size_t i = 0; i < n; i++)
            log_prob[i] = log_prob_two(logits + 2 * i, action[i]);
    else
        for (size_t i = 0; i < n; i++)
            log_prob[i] = log_prob_any(logits + i * K, K, action[i]);

    double il_lane[LANES] = {0.0}, rl_lane[LANES] = {0.0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (size_t j = 0; j < LANES; j++) {
            il_lane[j] += log_prob[i + j];
            rl_lane[j] += weight[i + j] * log_prob[i + j];
        }
    for (size_t j = 0; i < n; i++, j++) {
        il_lane[j] += log_prob[i];
        rl_lane[j] += weight[i] * log_prob[i];
    }
    /* Fixed pairwise tree over the lanes. */
    for (size_t width = LANES / 2; width >= 1; width /= 2)
        for (size_t j = 0; j < width; j++) {
            il_lane[j] += il_lane[j + width];
            rl_lane[j] += rl_lane[j + width];
        }
    *il_sum += il_lane[0];
    *rl_sum += rl_lane[0];
}

void ilrl_loss_eval(const struct ilrl_mlp *mlp, const double *theta,
                    const struct ilrl_loss_data *data,
                    struct ilrl_loss_work *work,
                    double *il_loss, double *rl_loss,
                    double *grad_il, double *grad_rl)
{
    const size_t n_steps = data->n_steps, D = data->n_features;
    const size_t K = work->n_actions, P = mlp->n_params;
    const int want_gradient = grad_il != NULL || grad_rl != NULL;
    double il_sum = 0.0, rl_sum = 0.0;   /* sum_t l_t and sum_t w_t l_t */

    if (grad_il != NULL)
        memset(grad_il, 0, P * sizeof *grad_il);
    if (grad_rl != NULL)
        memset(grad_rl, 0, P * sizeof *grad_rl);

    for (size_t start = 0; start < n_steps; start += work->block) {
        size_t n = n_steps - start < work->block ? n_steps - start : work->block;
        const double *x = data->obs + start * D;
        const int *action = data->action + start;
        const double *weight = data->weight + start;
        const double *logits = ilrl_mlp_forward(mlp, theta, x, n, work->network);

        ilrl_loss_accumulate(logits, n, K, action, weight, work->log_prob,
                             &il_sum, &rl_sum);
        for (size_t i = 0; want_gradient && i < n; i++) {
            /* N dL/dz_a = w (softmax_a - [a = a_t]); 1/N comes at the end. */
            const double *z = logits + i * K;
            double *d_il = work->d_il + i * K, *d_rl = work->d_rl + i * K;
            for (size_t a = 0; a < K; a++) {
                /* softmax_a = exp(z_a - log-sum-exp), log-sum-exp = z_{a_t} - l_t */
                double d = exp(z[a] - (z[action[i]] - work->log_prob[i]))
                           - ((int)a == action[i] ? 1.0 : 0.0);
                d_il[a] = d;
                d_rl[a] = weight[i] * d;
            }
        }
        if (grad_il != NULL)
            ilrl_mlp_backward(mlp, theta, x, n, work->d_il, work->network, grad_il);
        if (grad_rl != NULL)
            ilrl_mlp_backward(mlp, theta, x, n, work->d_rl, work->network, grad_rl);
    }

    const double n_total = (double)n_steps;
    if (il_loss != NULL)
        *il_loss = -il_sum / n_total;
    if (rl_loss != NULL)
        *rl_loss = -rl_sum / n_total;
    for (size_t k = 0; grad_il != NULL && k < P; k++)
        grad_il[k] /= n_total;
    for (size_t k = 0; grad_rl != NULL && k < P; k++)
        grad_rl[k] /= n_total;
}

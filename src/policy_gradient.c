/* policy_gradient.c -- owns the REINFORCE and PPO objectives on sampled
 * steps, their gradients, the returns-to-go advantages with a batch
 * baseline, and the retention term (contract in
 * include/ilrl/policy_gradient.h).
 *
 * Both objectives are -(1/N) sum_t c_t l_t up to terms without gradient,
 * with a per-step coefficient c_t = A_t (REINFORCE), r_t A_t or 0 (PPO).
 * So one path serves both: a block of rows goes through the batched
 * forward pass, loss.c's ilrl_loss_accumulate gives l_t, and
 * dL/dz_a = c_t (softmax_a - [a = a_t]) is backpropagated by
 * ilrl_mlp_backward into the part's gradient.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/bc.h"
#include "ilrl/error.h"
#include "ilrl/loss.h"
#include "ilrl/policy_gradient.h"

struct ilrl_pg_work {
    size_t n_actions;              /* K */
    size_t n_params;               /* P */
    struct ilrl_mlp_work *network; /* ILRL_PG_BLOCK rows */
    double *log_prob;              /* BLOCK */
    double *coefficient;           /* BLOCK: c_t */
    double *d_logits;              /* BLOCK x K */
    double *part_grad;             /* P: one episode's sum, for ilrl_pg_objective */
    /* Rows gathered by an index list, BLOCK each (x: BLOCK x D). */
    double *x, *advantage, *old_log_prob;
    int *action;
};

void ilrl_pg_advantages(size_t n_episodes, const size_t *length,
                        const double *reward, double gamma, int normalise,
                        double *advantage)
{
    size_t n = 0;
    for (size_t e = 0; e < n_episodes; e++) {
        size_t begin = n, t = n + length[e];
        double g = 0.0;
        while (t > begin) {
            t--;
            g = reward[t] + gamma * g;
            advantage[t] = g;
        }
        n += length[e];
    }
    if (n == 0)
        return;
    double sum = 0.0;
    for (size_t t = 0; t < n; t++)
        sum += advantage[t];
    double mean = sum / (double)n;
    for (size_t t = 0; t < n; t++)
        advantage[t] -= mean;
    if (!normalise)
        return;
    double squares = 0.0;
    for (size_t t = 0; t < n; t++)
        squares += advantage[t] * advantage[t];
    double std = sqrt(squares / (double)n);
    for (size_t t = 0; t < n; t++)
        advantage[t] = std > 0.0 ? advantage[t] / std : 0.0;
}

struct ilrl_pg_work *ilrl_pg_work_alloc(const struct ilrl_mlp *mlp)
{
    const size_t B = ILRL_PG_BLOCK;
    struct ilrl_pg_work *work = calloc(1, sizeof *work);
    if (work == NULL)
        goto out_of_memory;
    work->n_actions = mlp->sizes[mlp->n_layers];
    work->n_params = mlp->n_params;
    work->network = ilrl_mlp_work_alloc(mlp, B);
    work->log_prob = malloc(B * sizeof *work->log_prob);
    work->coefficient = malloc(B * sizeof *work->coefficient);
    work->d_logits = malloc(B * work->n_actions * sizeof *work->d_logits);
    work->part_grad = malloc(mlp->n_params * sizeof *work->part_grad);
    work->x = malloc(B * mlp->sizes[0] * sizeof *work->x);
    work->advantage = malloc(B * sizeof *work->advantage);
    work->old_log_prob = malloc(B * sizeof *work->old_log_prob);
    work->action = malloc(B * sizeof *work->action);
    if (work->network == NULL || work->log_prob == NULL || work->coefficient == NULL
        || work->d_logits == NULL || work->part_grad == NULL || work->x == NULL
        || work->advantage == NULL || work->old_log_prob == NULL
        || work->action == NULL)
        goto out_of_memory;
    return work;

out_of_memory:
    ilrl_pg_work_free(work);
    ilrl_error(ILRL_EFAILED, "policy-gradient workspace: out of memory");
    return NULL;
}

void ilrl_pg_work_free(struct ilrl_pg_work *work)
{
    if (work == NULL)
        return;
    ilrl_mlp_work_free(work->network);
    free(work->log_prob);
    free(work->coefficient);
    free(work->d_logits);
    free(work->part_grad);
    free(work->x);
    free(work->advantage);
    free(work->old_log_prob);
    free(work->action);
    free(work);
}

/* PPO's term of one step and its coefficient c = dTerm/dl (Term = the
 * min, to be maximised): r A inside the min, 0 where the clipped term is
 * strictly smaller (then constant in theta). */
static double ppo_term(double log_prob, double old_log_prob, double advantage,
                       double clip, double *coefficient, int *clipped)
{
    double r = exp(log_prob - old_log_prob);
    double r_clipped = r < 1.0 - clip ? 1.0 - clip : (r > 1.0 + clip ? 1.0 + clip : r);
    double surrogate = r * advantage, surrogate_clipped = r_clipped * advantage;
    *clipped = (advantage > 0.0 && r > 1.0 + clip)
               || (advantage < 0.0 && r < 1.0 - clip);
    *coefficient = *clipped ? 0.0 : surrogate;
    return surrogate < surrogate_clipped ? surrogate : surrogate_clipped;
}

/* The block of n steps at positions start .. of the part: pointers into
 * the batch when contiguous, else the rows gathered into the workspace. */
struct block {
    const double *x;
    const int *action;
    const double *advantage;
    const double *old_log_prob;   /* NULL for REINFORCE */
};

static struct block gather(const struct ilrl_pg_steps *steps, const size_t *index,
                           size_t start, size_t n, int want_old,
                           struct ilrl_pg_work *work)
{
    const size_t D = steps->n_features;
    if (index == NULL)
        return (struct block){steps->obs + start * D, steps->action + start,
                              steps->advantage + start,
                              want_old ? steps->old_log_prob + start : NULL};
    for (size_t i = 0; i < n; i++) {
        size_t t = index[start + i];
        memcpy(work->x + i * D, steps->obs + t * D, D * sizeof *work->x);
        work->action[i] = steps->action[t];
        work->advantage[i] = steps->advantage[t];
        if (want_old)
            work->old_log_prob[i] = steps->old_log_prob[t];
    }
    return (struct block){work->x, work->action, work->advantage,
                          want_old ? work->old_log_prob : NULL};
}

void ilrl_pg_part(const struct ilrl_mlp *mlp, const double *theta,
                  struct ilrl_pg_objective_spec spec,
                  const struct ilrl_pg_steps *steps, const size_t *index,
                  size_t begin, size_t end, struct ilrl_pg_work *work,
                  double *value_sum, double *grad_sum, size_t *n_clipped)
{
    const size_t K = work->n_actions;
    const int ppo = spec.algo == ILRL_PG_PPO;
    double term_sum = 0.0;        /* sum of the maximised terms */
    size_t clipped_count = 0;

    memset(grad_sum, 0, work->n_params * sizeof *grad_sum);
    for (size_t start = begin; start < end; start += ILRL_PG_BLOCK) {
        size_t n = end - start < ILRL_PG_BLOCK ? end - start : ILRL_PG_BLOCK;
        struct block rows = gather(steps, index, start, n, ppo, work);
        const double *x = rows.x;
        const int *action = rows.action;
        const double *advantage = rows.advantage;
        const double *logits = ilrl_mlp_forward(mlp, theta, x, n, work->network);
        double il_sum = 0.0, rl_sum = 0.0;
        ilrl_loss_accumulate(logits, n, K, action, advantage, work->log_prob,
                             &il_sum, &rl_sum);

        if (ppo) {
            const double *old = rows.old_log_prob;
            for (size_t i = 0; i < n; i++) {
                int clipped;
                term_sum += ppo_term(work->log_prob[i], old[i], advantage[i],
                                     spec.clip, &work->coefficient[i], &clipped);
                clipped_count += (size_t)clipped;
            }
        } else {
            term_sum += rl_sum;
            memcpy(work->coefficient, advantage, n * sizeof *advantage);
        }

        /* d(-c l)/dz_a = c (softmax_a - [a = a_t]); lse = z_{a_t} - l_t. */
        for (size_t i = 0; i < n; i++) {
            const double *z = logits + i * K;
            double *d = work->d_logits + i * K;
            double c = work->coefficient[i];
            double log_sum_exp = z[action[i]] - work->log_prob[i];
            for (size_t a = 0; a < K; a++)
                d[a] = c * (exp(z[a] - log_sum_exp) - ((int)a == action[i] ? 1.0 : 0.0));
        }
        ilrl_mlp_backward(mlp, theta, x, n, work->d_logits, work->network, grad_sum);
    }
    *value_sum = -term_sum;
    if (n_clipped != NULL)
        *n_clipped = clipped_count;
}

void ilrl_pg_objective(const struct ilrl_mlp *mlp, const double *theta,
                       struct ilrl_pg_objective_spec spec,
                       const struct ilrl_pg_steps *steps, size_t n_episodes,
                       const size_t *length, struct ilrl_pg_work *work,
                       double *value, double *grad)
{
    const size_t P = work->n_params;
    double sum = 0.0;
    size_t begin = 0;
    memset(grad, 0, P * sizeof *grad);
    for (size_t e = 0; e < n_episodes; e++) {
        double part_value;
        ilrl_pg_part(mlp, theta, spec, steps, NULL, begin, begin + length[e], work,
                     &part_value, work->part_grad, NULL);
        ilrl_bc_add_part(P, part_value, work->part_grad, &sum, grad);
        begin += length[e];
    }
    ilrl_bc_finish(P, begin, &sum, grad);
    if (value != NULL)
        *value = sum;
}

void ilrl_pg_log_prob(const struct ilrl_mlp *mlp, const double *theta,
                      const double *obs, const int *action, size_t n,
                      struct ilrl_pg_work *work, double *log_prob)
{
    const size_t D = mlp->sizes[0], K = work->n_actions;
    for (size_t start = 0; start < n; start += ILRL_PG_BLOCK) {
        size_t m = n - start < ILRL_PG_BLOCK ? n - start : ILRL_PG_BLOCK;
        const double *logits = ilrl_mlp_forward(mlp, theta, obs + start * D, m,
                                                work->network);
        double il_sum = 0.0, unused = 0.0;
        memset(work->coefficient, 0, m * sizeof *work->coefficient);  /* unused weights */
        ilrl_loss_accumulate(logits, m, K, action + start, work->coefficient,
                             log_prob + start, &il_sum, &unused);
    }
}

double ilrl_pg_retention_coefficient(double weight, double decay, uint64_t update)
{
    return weight * pow(decay, (double)update);
}

void ilrl_pg_add_retention(size_t n_params, double coefficient, double il_loss,
                           const double *il_grad, double *value, double *grad)
{
    if (value != NULL)
        *value += coefficient * il_loss;
    for (size_t k = 0; k < n_params; k++)
        grad[k] += coefficient * il_grad[k];
}

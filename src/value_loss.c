/* value_loss.c -- owns the value-based objectives of docs/value-objectives.md:
 * the TD targets of a demonstration (the plan), L_TD and L_CQL from network
 * outputs, and their semi-gradients.
 *
 * The split follows the cost.  Everything about a target that does not
 * depend on theta -- which row s'_t is, whether there is a bootstrap, whether
 * the step counts at all -- is decided once, in the plan.  What depends on
 * theta is two numbers per row (the chosen action's Q and the row's max Q),
 * which any pass that computes the outputs can take on the way
 * (ilrl_value_rows), and one pass over N to form L_TD (ilrl_value_td_loss).
 * The CQL regulariser is not computed here at all: it is L_IL of the same
 * outputs, and loss.h's ilrl_loss_accumulate already forms it, so
 * L_CQL = L_TD + alpha L_IL with L_IL's own bits.
 *
 * Samples go through the network in blocks of ILRL_LOSS_BLOCK rows like
 * ilrl_loss_eval's, so the L_IL inside L_CQL is bit for bit ilrl_loss_eval's.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/error.h"
#include "ilrl/value_loss.h"

struct ilrl_value_work {
    size_t max_steps;              /* N the workspace holds */
    size_t max_final;              /* F the workspace holds */
    size_t block;                  /* min(ILRL_LOSS_BLOCK, max_steps) rows */
    size_t n_actions;              /* K */
    struct ilrl_mlp_work *network; /* activations of one block */
    double *q_taken;               /* N: Q(s_t, a_t) */
    double *q_max;                 /* N + F: max_a Q(row, a) */
    double *y;                     /* N: "same" targets */
    double *ones;                  /* block: RL weights for ilrl_loss_accumulate (unused sum) */
    double *log_prob;              /* block: its scratch */
    double *d_td;                  /* block x K: dL_TD / dQ */
    double *d_cql;                 /* block x K: dL_CQL / dQ */
};

/* ---- target kind -------------------------------------------------------- */

int ilrl_value_target_parse(const char *text, enum ilrl_value_target *target)
{
    if (text != NULL && strcmp(text, "frozen") == 0) {
        *target = ILRL_VALUE_TARGET_FROZEN;
        return ILRL_OK;
    }
    if (text != NULL && strcmp(text, "same") == 0) {
        *target = ILRL_VALUE_TARGET_SAME;
        return ILRL_OK;
    }
    return ilrl_error(ILRL_EUSAGE, "--td-target '%s': expected frozen or same",
                      text != NULL ? text : "");
}

const char *ilrl_value_target_name(enum ilrl_value_target target)
{
    return target == ILRL_VALUE_TARGET_SAME ? "same" : "frozen";
}

/* ---- the plan ------------------------------------------------------------- */

void ilrl_value_plan_free(struct ilrl_value_plan *plan)
{
    if (plan == NULL)
        return;
    if (!plan->borrowed) {
        free(plan->reward);
        free(plan->discount);
        free(plan->next_row);
        free(plan->has_target);
        free(plan->final_obs);
        free(plan->frozen_target);
    }
    free(plan);
}

size_t ilrl_value_plan_doubles(size_t n_steps, size_t n_features, size_t n_final,
                               enum ilrl_value_target target)
{
    return 2 * n_steps + n_final * n_features
           + (target == ILRL_VALUE_TARGET_FROZEN ? n_steps : 0);
}

/* Points the plan's arrays at the parts, in the order of value_loss.h. */
static void plan_point(struct ilrl_value_plan *plan, double *doubles, size_t *rows,
                       unsigned char *flags)
{
    const size_t N = plan->n_steps, F = plan->n_final;
    plan->reward = doubles;
    plan->discount = doubles + N;
    plan->final_obs = F > 0 ? doubles + 2 * N : NULL;
    plan->frozen_target = plan->target == ILRL_VALUE_TARGET_FROZEN
                          ? doubles + 2 * N + F * plan->n_features : NULL;
    plan->next_row = rows;
    plan->has_target = flags;
    plan->borrowed = 1;
}

void ilrl_value_plan_move(struct ilrl_value_plan *plan, double *doubles, size_t *rows,
                          unsigned char *flags)
{
    const size_t N = plan->n_steps, F = plan->n_final, D = plan->n_features;
    struct ilrl_value_plan own = *plan;
    if (plan->borrowed)
        return;
    plan_point(plan, doubles, rows, flags);
    memcpy(plan->reward, own.reward, N * sizeof *plan->reward);
    memcpy(plan->discount, own.discount, N * sizeof *plan->discount);
    if (F > 0)
        memcpy(plan->final_obs, own.final_obs, F * D * sizeof *plan->final_obs);
    if (plan->frozen_target != NULL && own.frozen_target != NULL)
        memcpy(plan->frozen_target, own.frozen_target, N * sizeof *plan->frozen_target);
    memcpy(plan->next_row, own.next_row, N * sizeof *plan->next_row);
    memcpy(plan->has_target, own.has_target, N * sizeof *plan->has_target);
    free(own.reward);
    free(own.discount);
    free(own.next_row);
    free(own.has_target);
    free(own.final_obs);
    free(own.frozen_target);
}

int ilrl_value_plan_borrow(size_t n_steps, size_t n_features, size_t n_final,
                           size_t n_targets, double gamma, enum ilrl_value_target target,
                           double *doubles, size_t *rows, unsigned char *flags,
                           struct ilrl_value_plan **out)
{
    struct ilrl_value_plan *plan = calloc(1, sizeof *plan);
    *out = plan;
    if (plan == NULL)
        return ilrl_error(ILRL_EFAILED, "TD targets: out of memory");
    plan->n_steps = n_steps;
    plan->n_features = n_features;
    plan->n_final = n_final;
    plan->n_targets = n_targets;
    plan->n_left_out = n_steps - n_targets;
    plan->gamma = gamma;
    plan->target = target;
    plan_point(plan, doubles, rows, flags);
    return ILRL_OK;
}

/* Whether episode e's observation after its last action is known: the demo
 * has final_obs and the row is not NaN (all NaN marks it unknown, demo.h). */
static int final_known(const struct ilrl_demo *demo, size_t e)
{
    return demo->final_obs != NULL && !isnan(demo->final_obs[e * demo->n_features]);
}

/* Fills every per-step array from the episodes; returns N - N'. */
static size_t plan_steps(struct ilrl_value_plan *plan, const struct ilrl_demo *demo)
{
    const size_t N = demo->n_steps, D = demo->n_features;
    size_t f = 0, left_out = 0;

    memcpy(plan->reward, demo->reward, N * sizeof *plan->reward);
    for (size_t e = 0; e < demo->n_episodes; e++) {
        size_t begin = (size_t)demo->episode_start[e];
        size_t last = begin + (size_t)demo->episode_length[e] - 1;
        for (size_t t = begin; t < last; t++) {
            plan->discount[t] = plan->gamma;
            plan->next_row[t] = t + 1;
            plan->has_target[t] = 1;
        }
        plan->next_row[last] = last;
        plan->discount[last] = 0.0;
        plan->has_target[last] = 1;
        if (demo->terminated[e])
            continue;                       /* done: y = r, no bootstrap */
        if (!final_known(demo, e)) {
            plan->has_target[last] = 0;     /* truncated, s' unknown */
            left_out++;
            continue;
        }
        memcpy(plan->final_obs + f * D, demo->final_obs + e * D,
               D * sizeof *plan->final_obs);
        plan->discount[last] = plan->gamma;
        plan->next_row[last] = N + f;
        f++;
    }
    return left_out;
}

int ilrl_value_plan_alloc(const struct ilrl_demo *demo, double gamma,
                          const char *origin, struct ilrl_value_plan **out)
{
    struct ilrl_value_plan *plan;
    const size_t N = demo->n_steps, D = demo->n_features;
    size_t n_final = 0;

    *out = NULL;
    if (origin == NULL)
        origin = "demonstration";
    if (!isfinite(gamma) || gamma < 0.0)
        return ilrl_error(ILRL_EUSAGE, "--gamma %g: must be a finite number >= 0",
                          gamma);
    for (size_t e = 0; e < demo->n_episodes; e++)
        n_final += !demo->terminated[e] && final_known(demo, e) ? 1 : 0;

    plan = calloc(1, sizeof *plan);
    if (plan == NULL)
        goto out_of_memory;
    plan->n_steps = N;
    plan->n_features = D;
    plan->n_final = n_final;
    plan->gamma = gamma;
    plan->target = ILRL_VALUE_TARGET_SAME;
    plan->reward = malloc(N * sizeof *plan->reward);
    plan->discount = malloc(N * sizeof *plan->discount);
    plan->next_row = malloc(N * sizeof *plan->next_row);
    plan->has_target = malloc(N * sizeof *plan->has_target);
    if (n_final > 0)
        plan->final_obs = malloc(n_final * D * sizeof *plan->final_obs);
    if (plan->reward == NULL || plan->discount == NULL || plan->next_row == NULL
        || plan->has_target == NULL || (n_final > 0 && plan->final_obs == NULL))
        goto out_of_memory;

    plan->n_left_out = plan_steps(plan, demo);
    plan->n_targets = N - plan->n_left_out;
    if (plan->n_targets == 0) {
        ilrl_value_plan_free(plan);
        return ilrl_error(ILRL_EINPUT, "%s: no step has a TD target (every episode "
                          "is one truncated step and there is no final_obs)",
                          origin);
    }
    *out = plan;
    return ILRL_OK;

out_of_memory:
    ilrl_value_plan_free(plan);
    return ilrl_error(ILRL_EFAILED, "TD targets: out of memory for %zu steps", N);
}

/* ---- workspace -------------------------------------------------------------- */

struct ilrl_value_work *ilrl_value_work_alloc(const struct ilrl_mlp *mlp,
                                              size_t n_steps, size_t n_final)
{
    if (n_steps == 0) {
        ilrl_error(ILRL_EFAILED, "value-loss workspace: no samples");
        return NULL;
    }
    struct ilrl_value_work *work = calloc(1, sizeof *work);
    if (work == NULL)
        goto out_of_memory;
    work->max_steps = n_steps;
    work->max_final = n_final;
    work->block = n_steps < ILRL_LOSS_BLOCK ? n_steps : ILRL_LOSS_BLOCK;
    work->n_actions = mlp->sizes[mlp->n_layers];
    const size_t block = work->block, K = work->n_actions;
    work->network = ilrl_mlp_work_alloc(mlp, block);
    work->q_taken = malloc(n_steps * sizeof *work->q_taken);
    work->q_max = malloc((n_steps + n_final) * sizeof *work->q_max);
    work->y = malloc(n_steps * sizeof *work->y);
    work->ones = malloc(block * sizeof *work->ones);
    work->log_prob = malloc(block * sizeof *work->log_prob);
    work->d_td = malloc(block * K * sizeof *work->d_td);
    work->d_cql = malloc(block * K * sizeof *work->d_cql);
    if (work->network == NULL || work->q_taken == NULL || work->q_max == NULL
        || work->y == NULL || work->ones == NULL || work->log_prob == NULL
        || work->d_td == NULL || work->d_cql == NULL)
        goto out_of_memory;
    for (size_t i = 0; i < block; i++)
        work->ones[i] = 1.0;
    return work;

out_of_memory:
    ilrl_value_work_free(work);
    ilrl_error(ILRL_EFAILED, "value-loss workspace: out of memory");
    return NULL;
}

void ilrl_value_work_free(struct ilrl_value_work *work)
{
    if (work == NULL)
        return;
    ilrl_mlp_work_free(work->network);
    free(work->q_taken);
    free(work->q_max);
    free(work->y);
    free(work->ones);
    free(work->log_prob);
    free(work->d_td);
    free(work->d_cql);
    free(work);
}

/* ---- from outputs to losses --------------------------------------------------- */

void ilrl_value_rows(const double *outputs, size_t n, size_t n_actions,
                     const int *action, double *q_taken, double *q_max)
{
    const size_t K = n_actions;
    for (size_t i = 0; q_max != NULL && i < n; i++) {
        const double *q = outputs + i * K;
        double max = q[0];
        for (size_t a = 1; a < K; a++)
            max = q[a] > max ? q[a] : max;
        q_max[i] = max;
    }
    for (size_t i = 0; q_taken != NULL && action != NULL && i < n; i++)
        q_taken[i] = outputs[i * K + (size_t)action[i]];
}

void ilrl_value_targets(const struct ilrl_value_plan *plan, const double *q_max,
                        double *y)
{
    for (size_t t = 0; t < plan->n_steps; t++) {
        if (!plan->has_target[t]) {
            y[t] = 0.0;
            continue;
        }
        /* discount 0 means no bootstrap: q_max is not read (it may be any
         * finite value, but 0 * inf would not be 0). */
        y[t] = plan->discount[t] != 0.0
               ? plan->reward[t] + plan->discount[t] * q_max[plan->next_row[t]]
               : plan->reward[t];
    }
}

/* One running sum in step order (no lanes, unlike ilrl_loss_accumulate):
 * then any split into blocks adds the same terms in the same order, and the
 * streaming and the stored callers agree bit for bit.  The sum is a few
 * percent of a point's cost next to the forward pass, so lanes would buy
 * nothing worth that property. */
void ilrl_value_td_accumulate(const struct ilrl_value_plan *plan, size_t start,
                              size_t n, const double *q_taken, const double *y,
                              double *sum)
{
    const unsigned char *has_target = plan->has_target + start;
    double running = *sum;
    for (size_t i = 0; i < n; i++)
        if (has_target[i]) {
            double residual = q_taken[i] - y[i];
            running += residual * residual;
        }
    *sum = running;
}

double ilrl_value_td_loss(const struct ilrl_value_plan *plan, const double *q_taken,
                          const double *y)
{
    double sum = 0.0;
    ilrl_value_td_accumulate(plan, 0, plan->n_steps, q_taken, y, &sum);
    return sum / (double)plan->n_targets;
}

/* The row maxima of the F final rows at theta into q_max[N ...]. */
static void final_rows(const struct ilrl_mlp *mlp, const double *theta,
                       const struct ilrl_value_plan *plan,
                       struct ilrl_value_work *work, double *q_max)
{
    const size_t F = plan->n_final, D = plan->n_features;
    for (size_t start = 0; start < F; start += work->block) {
        size_t n = F - start < work->block ? F - start : work->block;
        const double *logits = ilrl_mlp_forward(mlp, theta, plan->final_obs + start * D,
                                                n, work->network);
        ilrl_value_rows(logits, n, work->n_actions, NULL, NULL, q_max + start);
    }
}

int ilrl_value_plan_freeze(struct ilrl_value_plan *plan, const struct ilrl_mlp *mlp,
                           const double *theta_bar, const struct ilrl_loss_data *data,
                           struct ilrl_value_work *work)
{
    const size_t N = plan->n_steps, D = plan->n_features;
    if (plan->frozen_target == NULL && plan->borrowed)
        return ilrl_error(ILRL_EFAILED, "TD targets: a borrowed plan made for a \"same\" "
                          "target has no room for frozen ones");
    if (plan->frozen_target == NULL) {
        plan->frozen_target = malloc(N * sizeof *plan->frozen_target);
        if (plan->frozen_target == NULL)
            return ilrl_error(ILRL_EFAILED, "TD targets: out of memory for %zu steps",
                              N);
    }
    for (size_t start = 0; start < N; start += work->block) {
        size_t n = N - start < work->block ? N - start : work->block;
        const double *logits = ilrl_mlp_forward(mlp, theta_bar, data->obs + start * D,
                                                n, work->network);
        ilrl_value_rows(logits, n, work->n_actions, NULL, NULL, work->q_max + start);
    }
    final_rows(mlp, theta_bar, plan, work, work->q_max + N);
    ilrl_value_targets(plan, work->q_max, plan->frozen_target);
    plan->target = ILRL_VALUE_TARGET_FROZEN;
    return ILRL_OK;
}

/* dL/dQ for one block of samples [start, start + n) whose outputs are
 * `logits`: TD's on the taken action only, CQL's adding alpha/N times L_IL's
 * (softmax - one-hot). */
static void block_output_gradients(const struct ilrl_value_plan *plan,
                                   const int *action, const double *logits,
                                   size_t start, size_t n, const double *y,
                                   double alpha, struct ilrl_value_work *work)
{
    const size_t K = work->n_actions;
    const double td_scale = 2.0 / (double)plan->n_targets;
    const double il_scale = alpha / (double)plan->n_steps;
    for (size_t i = 0; i < n; i++) {
        const size_t t = start + i;
        const double *z = logits + i * K;
        double *d_td = work->d_td + i * K, *d_cql = work->d_cql + i * K;
        double lse = ilrl_log_softmax(z, K, NULL);
        for (size_t a = 0; a < K; a++)
            d_td[a] = 0.0;
        if (plan->has_target[t])
            d_td[action[t]] = td_scale * (work->q_taken[t] - y[t]);
        for (size_t a = 0; a < K; a++)
            d_cql[a] = d_td[a] + il_scale * (exp(z[a] - lse)
                                             - ((int)a == action[t] ? 1.0 : 0.0));
    }
}

void ilrl_value_loss_eval(const struct ilrl_mlp *mlp, const double *theta,
                          const struct ilrl_loss_data *data,
                          const struct ilrl_value_plan *plan, double alpha,
                          struct ilrl_value_work *work, double *td_loss,
                          double *cql_loss, double *grad_td, double *grad_cql)
{
    const size_t N = plan->n_steps, D = plan->n_features, K = work->n_actions;
    const size_t P = mlp->n_params;
    const int same = plan->target == ILRL_VALUE_TARGET_SAME;
    const int want_il = cql_loss != NULL || grad_cql != NULL;
    double il_sum = 0.0, unused_rl_sum = 0.0;

    /* Pass 1: the two numbers per row, and L_IL's sum on the way. */
    for (size_t start = 0; start < N; start += work->block) {
        size_t n = N - start < work->block ? N - start : work->block;
        const double *logits = ilrl_mlp_forward(mlp, theta, data->obs + start * D, n,
                                                work->network);
        ilrl_value_rows(logits, n, K, data->action + start, work->q_taken + start,
                        same ? work->q_max + start : NULL);
        if (want_il)
            ilrl_loss_accumulate(logits, n, K, data->action + start, work->ones,
                                 work->log_prob, &il_sum, &unused_rl_sum);
    }
    const double *y = plan->frozen_target;
    if (same) {
        final_rows(mlp, theta, plan, work, work->q_max + N);
        ilrl_value_targets(plan, work->q_max, work->y);
        y = work->y;
    }
    const double td = ilrl_value_td_loss(plan, work->q_taken, y);
    if (td_loss != NULL)
        *td_loss = td;
    if (cql_loss != NULL)
        *cql_loss = td + alpha * (-il_sum / (double)N);
    if (grad_td == NULL && grad_cql == NULL)
        return;

    /* Pass 2: the workspace keeps one block's activations, so each block is
     * forwarded again before its backpropagation (gradients are wanted at
     * theta0 only: once per run). */
    if (grad_td != NULL)
        memset(grad_td, 0, P * sizeof *grad_td);
    if (grad_cql != NULL)
        memset(grad_cql, 0, P * sizeof *grad_cql);
    for (size_t start = 0; start < N; start += work->block) {
        size_t n = N - start < work->block ? N - start : work->block;
        const double *x = data->obs + start * D;
        const double *logits = ilrl_mlp_forward(mlp, theta, x, n, work->network);
        block_output_gradients(plan, data->action, logits, start, n, y, alpha, work);
        if (grad_td != NULL)
            ilrl_mlp_backward(mlp, theta, x, n, work->d_td, work->network, grad_td);
        if (grad_cql != NULL)
            ilrl_mlp_backward(mlp, theta, x, n, work->d_cql, work->network, grad_cql);
    }
}

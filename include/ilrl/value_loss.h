/* value_loss.h -- the value-based objectives TD and CQL on a demonstration
 * (docs/value-objectives.md).
 *
 * The network's K outputs are read as action values, Q_theta(s, .) = logits.
 * For step t, s'_t is the next step's observation in the same episode; at an
 * episode's last step it is final_obs[e] when the episode was truncated and
 * the demo has final_obs (a row that is not NaN, demo.h), and there is no
 * bootstrap when it terminated:
 *   y_t     = r_t + gamma (1 - done_t) max_a Q_thetabar(s'_t, a)
 *   L_TD    = (1/N') sum_t (Q_theta(s_t, a_t) - y_t)^2   over the N' steps
 *             with a target (a truncated last step without final_obs has
 *             none: left out, and counted in n_left_out)
 *   L_CQL   = L_TD + alpha (1/N) sum_t [logsumexp_a Q_theta(s_t, a) - Q_theta(s_t, a_t)]
 *           = L_TD + alpha L_IL      (the regulariser is L_IL on the same outputs,
 *                                     computed by loss.h's ilrl_loss_accumulate)
 * thetabar is either fixed ("frozen": the plane's centre theta0, targets
 * computed once by ilrl_value_plan_freeze) or theta itself ("same"); in both
 * cases gradients hold the target constant (semi-gradient).
 *
 * The rows.  A plan numbers the observations a pass must see: rows 0..N-1
 * are the N samples (data->obs, in step order), rows N..N+F-1 the F final
 * observations the targets use (plan->final_obs: the truncated episodes'
 * final_obs, in episode order; F = 0 without final_obs).  next_row[t] names
 * the row of s'_t.
 *
 * Contract for a caller that already has the outputs (the plane evaluator):
 *   1. once: ilrl_value_plan_alloc(demo, gamma, origin, &plan); for
 *      "frozen", ilrl_value_plan_freeze(plan, mlp, theta0, data, work);
 *   2. per point, per block of sample rows it has forwarded anyway:
 *      ilrl_value_rows(logits, n, K, action + start, q_taken + start,
 *      q_max + start) -- q_max only for "same"; and for "same" the F final
 *      rows forwarded too (ilrl_value_rows with action NULL into q_max + N);
 *   3. per point: "same": ilrl_value_targets(plan, q_max, y); then
 *      td = ilrl_value_td_loss(plan, q_taken, y or plan->frozen_target),
 *      cql = td + alpha * il (the point's L_IL, which it already has).
 *   For "frozen" nothing needs storing: per block, ilrl_value_rows into a
 *   block's q_taken and ilrl_value_td_accumulate(plan, start, n, q_taken,
 *   plan->frozen_target + start, &sum); td = sum / plan->n_targets, the
 *   same bits as step 3.
 * The extra cost per point is a max and a pick per row, one pass over N,
 * and for "same" the forward pass of F rows (F <= episodes).  Storage:
 * for "same", q_taken (N), q_max (N + F) and y (N) per point in flight;
 * for "frozen", none.
 * ilrl_value_loss_eval() below is this contract plus its own forward pass,
 * and the only place gradients are formed.
 *
 * Determinism: ilrl_value_td_loss sums in step order, so equal row values
 * give equal bits whoever computed them.  Knows nothing of MPI or NetCDF.
 */
#ifndef ILRL_VALUE_LOSS_H
#define ILRL_VALUE_LOSS_H

#include <stddef.h>

#include "ilrl/demo.h"
#include "ilrl/loss.h"
#include "ilrl/mlp.h"

/* Whose Q the target bootstraps from. */
enum ilrl_value_target {
    ILRL_VALUE_TARGET_FROZEN = 0,   /* a fixed thetabar (theta0): y computed once */
    ILRL_VALUE_TARGET_SAME = 1      /* thetabar = theta, held constant in gradients */
};

/* "frozen" | "same" -> target; ILRL_EUSAGE naming --td-target otherwise. */
int ilrl_value_target_parse(const char *text, enum ilrl_value_target *target);
const char *ilrl_value_target_name(enum ilrl_value_target target);

/* Everything about the targets that does not depend on theta, from one demo
 * and gamma.  Owns its arrays, unless `borrowed`: then they live in a
 * caller's block (one copy per node, node_share.h) and
 * ilrl_value_plan_free frees the struct only.  Decision: a flag in the
 * plan rather than a second free function, so that a holder frees either
 * kind the same way and a borrowed array is never freed by mistake; the
 * block must outlive the plan (the landscape frees the plan first). */
struct ilrl_value_plan {
    size_t n_steps;            /* N >= 1 */
    size_t n_features;         /* D */
    size_t n_final;            /* F: rows of final_obs, 0 <= F <= E */
    size_t n_targets;          /* N' >= 1: steps with a target */
    size_t n_left_out;         /* N - N': truncated last steps without final_obs */
    double gamma;              /* discount, finite, >= 0 */
    enum ilrl_value_target target;   /* SAME until ilrl_value_plan_freeze */
    double *reward;            /* N: r_t */
    double *discount;          /* N: gamma (1 - done_t): gamma when s'_t exists,
                                * 0 at a terminated episode's last step and at
                                * a left-out step */
    size_t *next_row;          /* N: row of s'_t in [0, N + F); t when discount 0
                                * (never read then) */
    unsigned char *has_target; /* N: 1 for the N' steps in L_TD, 0 left out */
    double *final_obs;         /* F x D: the final observations used (NULL if F = 0) */
    double *frozen_target;     /* N: y_t at the frozen thetabar (0 where no
                                * target); NULL until frozen */
    int borrowed;              /* 1: the arrays are a caller's (see above) */
};

/* Builds the plan of demo (validated) with discount gamma into *plan.
 * `origin` names the demo in messages.  ILRL_EUSAGE for a gamma that is not
 * finite and >= 0; ILRL_EINPUT when no step has a target (every episode is
 * one truncated step and the demo has no final_obs); ILRL_EFAILED out of
 * memory.  *plan is NULL on failure. */
int ilrl_value_plan_alloc(const struct ilrl_demo *demo, double gamma,
                          const char *origin, struct ilrl_value_plan **plan);
void ilrl_value_plan_free(struct ilrl_value_plan *plan);

/* A plan in a caller's block (one copy per node, node_share.h).  The
 * block's three parts, each at its type's alignment (doubles first, then
 * size_t, then bytes, as a caller that appends them keeps it):
 *   doubles: ilrl_value_plan_doubles(N, D, F, target) of them: reward (N),
 *            discount (N), final_obs (F x D), then frozen_target (N) for a
 *            FROZEN target only;
 *   rows:    N size_t, next_row;
 *   flags:   N bytes, has_target.
 * ilrl_value_plan_move copies a plan's own arrays there (a FROZEN target
 * frozen already), frees them and borrows the parts from then on: the same
 * bits.  ilrl_value_plan_borrow makes a plan of the given sizes whose
 * arrays are the parts, for a caller to fill (a broadcast of a moved
 * plan's block, or nothing: a rank that maps a block others filled);
 * ILRL_EFAILED (*plan NULL) out of memory.  ilrl_value_plan_freeze on a
 * borrowed plan writes its frozen_target part and allocates nothing; it
 * refuses (ILRL_EFAILED) one borrowed with a SAME target (no such part). */
size_t ilrl_value_plan_doubles(size_t n_steps, size_t n_features, size_t n_final,
                               enum ilrl_value_target target);
void ilrl_value_plan_move(struct ilrl_value_plan *plan, double *doubles, size_t *rows,
                          unsigned char *flags);
int ilrl_value_plan_borrow(size_t n_steps, size_t n_features, size_t n_final,
                           size_t n_targets, double gamma, enum ilrl_value_target target,
                           double *doubles, size_t *rows, unsigned char *flags,
                           struct ilrl_value_plan **plan);

/* Workspace for one network and up to n_steps samples and n_final final
 * rows.  NULL (error recorded) on OOM. */
struct ilrl_value_work;
struct ilrl_value_work *ilrl_value_work_alloc(const struct ilrl_mlp *mlp,
                                              size_t n_steps, size_t n_final);
void ilrl_value_work_free(struct ilrl_value_work *work);

/* Makes the plan's target "frozen" at theta_bar: y_t = r_t + discount_t
 * max_a Q_theta_bar(row next_row[t], a) for every step with a target, into
 * plan->frozen_target.  data holds the same N samples as the plan's demo.
 * ILRL_OK, or ILRL_EFAILED out of memory or borrowed without room (plan
 * unchanged). */
int ilrl_value_plan_freeze(struct ilrl_value_plan *plan, const struct ilrl_mlp *mlp,
                           const double *theta_bar, const struct ilrl_loss_data *data,
                           struct ilrl_value_work *work);

/* Per-row reductions of n rows of already computed outputs (n x K,
 * row-major): q_max[i] = max_a outputs[i, a] and, if action is not NULL,
 * q_taken[i] = outputs[i, action[i]].  q_max or q_taken may be NULL (not
 * wanted). */
void ilrl_value_rows(const double *outputs, size_t n, size_t n_actions,
                     const int *action, double *q_taken, double *q_max);

/* "Same" targets from the maxima of all N + F rows at one theta:
 * y[t] = r_t + discount_t q_max[next_row[t]], 0 where has_target is 0. */
void ilrl_value_targets(const struct ilrl_value_plan *plan, const double *q_max,
                        double *y);

/* L_TD = (1/N') sum over steps with a target of (q_taken[t] - y[t])^2, summed
 * in step order. */
double ilrl_value_td_loss(const struct ilrl_value_plan *plan, const double *q_taken,
                          const double *y);

/* The same sum one block at a time, for a caller that streams blocks and
 * keeps no per-step storage (the frozen target): ADDS the terms of steps
 * start .. start + n - 1 to *sum in step order, q_taken[i] and y[i] being
 * step start + i's (the caller offsets its pointers; has_target is read from
 * the plan).  Blocks fed in step order into one *sum starting at 0 give
 * ilrl_value_td_loss's sum bit for bit, whatever the block sizes. */
void ilrl_value_td_accumulate(const struct ilrl_value_plan *plan, size_t start,
                              size_t n, const double *q_taken, const double *y,
                              double *sum);

/* L_TD and L_CQL (regulariser weight alpha) at theta, and if grad_td /
 * grad_cql are not NULL (each n_params) their semi-gradients: the target is
 * held constant, so dL_TD/dQ(s_t, a_t) = 2 (Q - y_t) / N'.  Any output may be
 * NULL.  Preconditions: data checked (ilrl_loss_data_check) and holding the
 * plan's N samples; the work allocated for at least N samples and F final
 * rows; a frozen plan frozen.  No allocation. */
void ilrl_value_loss_eval(const struct ilrl_mlp *mlp, const double *theta,
                          const struct ilrl_loss_data *data,
                          const struct ilrl_value_plan *plan, double alpha,
                          struct ilrl_value_work *work, double *td_loss,
                          double *cql_loss, double *grad_td, double *grad_cql);

#endif /* ILRL_VALUE_LOSS_H */

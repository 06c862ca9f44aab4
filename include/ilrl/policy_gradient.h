/* policy_gradient.h -- the on-policy objectives of the RL phase and their
 * gradients with respect to theta, on a batch of sampled steps.
 *
 * A batch holds N steps of E episodes back to back (episode e's steps
 * follow episode e-1's), each with observation s_t, action a_t, advantage
 * A_t (held fixed: no gradient flows through it) and, for PPO, the
 * log-probability l_old_t the sampling policy gave a_t.  With
 * l_t = log pi_theta(a_t | s_t):
 *
 *   REINFORCE  L = -(1/N) sum_t A_t l_t
 *   PPO        L = -(1/N) sum_t min(r_t A_t, clip(r_t, 1 - eps, 1 + eps) A_t),
 *              r_t = exp(l_t - l_old_t)
 *   retention  L * DECAY^u * L_IL(demo)       (DAPG / kickstarting; u = update)
 *
 * PPO's gradient per step is r_t A_t dl_t/dtheta, except where the clipped
 * term is strictly the smaller one -- A_t > 0 and r_t > 1 + eps, or A_t < 0
 * and r_t < 1 - eps -- where it is exactly 0 (at r_t = 1 +- eps and at ties
 * the gradient flows, as in PyTorch's clamp and min).
 *
 * Determinism across ranks: ilrl_pg_part computes one episode's (or any
 * step range's) SUM of terms and gradient, depending on that range alone;
 * bc.h's ilrl_bc_sum_parts adds the parts in episode order and divides by
 * N.  ilrl_pg_objective does exactly that on one process.
 *
 * Advantages (ilrl_pg_advantages): returns-to-go within each episode,
 * G_t = r_t + gamma G_{t+1} (0 after an episode's last step: no bootstrap,
 * as loss.c's ilrl_reward_to_go), minus the batch baseline mean_t G_t over
 * all N steps (summed in step order); with normalisation also divided by the
 * population standard deviation sqrt((1/N) sum (G_t - mean)^2) when it is
 * > 0 (all advantages are 0 otherwise).  No epsilon is added: a PyTorch
 * peer must use std(unbiased=False) and the same rule to agree.
 *
 * Numerical only: no MPI, no NetCDF, no environment.  Arrays are borrowed.
 */
#ifndef ILRL_POLICY_GRADIENT_H
#define ILRL_POLICY_GRADIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ilrl/mlp.h"

enum ilrl_pg_algo { ILRL_PG_REINFORCE = 0, ILRL_PG_PPO = 1 };

/* Rows per forward/backward block inside a part (a constant: a part's
 * bits depend on it, as on loss.c's ILRL_LOSS_BLOCK). */
#define ILRL_PG_BLOCK 256

struct ilrl_pg_steps {
    size_t n_steps;              /* N >= 1 */
    size_t n_features;           /* D = the network's input size */
    const double *obs;           /* N x D row-major, finite */
    const int *action;           /* N, in [0, K) */
    const double *advantage;     /* N, finite */
    const double *old_log_prob;  /* N, PPO only (may be NULL for REINFORCE) */
};

struct ilrl_pg_objective_spec {
    enum ilrl_pg_algo algo;
    double clip;                 /* PPO's eps, in (0, 1); unused by REINFORCE */
};

/* Returns-to-go and baseline (formula above) of E episodes of lengths
 * length[0 .. E) lying back to back in reward[N], N = sum of lengths, into
 * advantage[N] (may alias reward).  normalise != 0 divides by the std. */
void ilrl_pg_advantages(size_t n_episodes, const size_t *length,
                        const double *reward, double gamma, int normalise,
                        double *advantage);

/* Workspace for one network (one block of rows and one gradient of
 * n_params).  NULL (error recorded) on out of memory. */
struct ilrl_pg_work;
struct ilrl_pg_work *ilrl_pg_work_alloc(const struct ilrl_mlp *mlp);
void ilrl_pg_work_free(struct ilrl_pg_work *work);

/* Steps t = index[begin .. end) of the batch (index NULL: t = begin ..
 * end-1, begin < end <= N; an index list serves PPO's shuffled minibatches,
 * cut into parts like bc.h's chunks): *value_sum = the sum of their terms,
 * -A_t l_t (REINFORCE) or -min(r_t A_t, clip(r_t) A_t) (PPO), and
 * grad_sum[n_params] (overwritten) its gradient.  In blocks of
 * ILRL_PG_BLOCK rows from begin; the bits depend on the listed steps only
 * (an index list 0, 1, ... gives the same bits as NULL).  *n_clipped (may
 * be NULL) gets the number of steps whose PPO gradient was cut to 0.  No
 * allocation. */
void ilrl_pg_part(const struct ilrl_mlp *mlp, const double *theta,
                  struct ilrl_pg_objective_spec spec,
                  const struct ilrl_pg_steps *steps, const size_t *index,
                  size_t begin, size_t end, struct ilrl_pg_work *work,
                  double *value_sum, double *grad_sum, size_t *n_clipped);

/* The whole batch on one process: one part per episode (lengths as in
 * ilrl_pg_advantages, summing to steps->n_steps), reduced in episode order
 * like ilrl_bc_sum_parts, so bit-identical to parts computed anywhere and
 * reduced with it.  *value = L, grad[n_params] (overwritten) = dL/dtheta;
 * value may be NULL.
 *
 * PPO's "old" log-probabilities are log pi at the sampling theta: either
 * the sampler's own, recorded while the episode was played (what ilrl-train
 * does: rollout.h's lockstep engine records them, so no second forward over
 * the batch is needed), or ilrl_pg_log_prob's.  Either way r_t = 1 up to
 * rounding in the first epoch, and the first PPO gradient is REINFORCE's
 * to 1e-14 (tests/check_policy_gradient.c). */
void ilrl_pg_objective(const struct ilrl_mlp *mlp, const double *theta,
                       struct ilrl_pg_objective_spec spec,
                       const struct ilrl_pg_steps *steps, size_t n_episodes,
                       const size_t *length, struct ilrl_pg_work *work,
                       double *value, double *grad);

/* log pi_theta(a_t | s_t) of n steps into log_prob[n] (PPO's l_old before
 * an update), in blocks of ILRL_PG_BLOCK rows.  No allocation. */
void ilrl_pg_log_prob(const struct ilrl_mlp *mlp, const double *theta,
                      const double *obs, const int *action, size_t n,
                      struct ilrl_pg_work *work, double *log_prob);

/* The retention coefficient L * DECAY^u (pow from libm). */
double ilrl_pg_retention_coefficient(double weight, double decay, uint64_t update);

/* Adds the retention term to an objective: *value += coefficient * il_loss,
 * grad[k] += coefficient * il_grad[k] -- il_loss and il_grad being L_IL on
 * the demo and its gradient (bc.h's ilrl_bc_minibatch over all samples, or
 * its chunks reduced in order), which the trainer also needs on its own. */
void ilrl_pg_add_retention(size_t n_params, double coefficient, double il_loss,
                           const double *il_grad, double *value, double *grad);

#endif /* ILRL_POLICY_GRADIENT_H */

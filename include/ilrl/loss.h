/* loss.h -- imitation and reinforcement losses on a demonstration (docs/network-and-losses.md).
 *
 * With N samples and l_t = log pi_theta(a_t | s_t):
 *   L_IL = -(1/N) sum_t l_t            (behaviour cloning)
 *   L_RL = -(1/N) sum_t w_t l_t        (REINFORCE surrogate)
 * where w_t comes from --rl-weight: "return" (discounted reward-to-go within
 * the episode), "advantage" (G_t - mean G) or "awr:BETA"
 * (min(exp((G_t - mean G) / (std G * BETA)), 20), population std).
 * One call evaluates both losses, and optionally both gradients by
 * backpropagation, in a single forward pass.  Knows nothing of MPI or NetCDF.
 */
#ifndef ILRL_LOSS_H
#define ILRL_LOSS_H

#include <stddef.h>

#include "ilrl/demo.h"
#include "ilrl/mlp.h"

enum ilrl_rl_weight_kind {
    ILRL_RL_WEIGHT_RETURN = 0,
    ILRL_RL_WEIGHT_ADVANTAGE = 1,
    ILRL_RL_WEIGHT_AWR = 2
};

struct ilrl_rl_weight {
    enum ilrl_rl_weight_kind kind;
    double beta;                 /* AWR temperature, > 0; unused otherwise */
};

/* "return" | "advantage" | "awr:BETA" -> weight; ILRL_EUSAGE on a bad value. */
int ilrl_rl_weight_parse(const char *text, struct ilrl_rl_weight *weight);
/* Canonical text ("awr:0.5") into buf. */
void ilrl_rl_weight_format(struct ilrl_rl_weight weight, char *buf, size_t buf_size);

/* G_t = sum_{k=0}^{T_e-1-t} gamma^k r_{t+k} within each episode, into G[N]. */
void ilrl_reward_to_go(const struct ilrl_demo *demo, double gamma, double *G);

/* Per-step RL weights w[N] for the chosen scheme.  AWR with std G = 0 (all
 * returns equal) gives every step the weight exp(0) = 1. */
void ilrl_rl_weights(const struct ilrl_demo *demo, struct ilrl_rl_weight weight,
                     double gamma, double *w);

/* The samples the losses are measured on; arrays are borrowed. */
struct ilrl_loss_data {
    size_t n_steps;              /* N >= 1 */
    size_t n_features;           /* D, must equal the network's input size */
    const double *obs;           /* N x D */
    const int *action;           /* N */
    const double *weight;        /* N: w_t */
};

/* Checks data against the network before the first evaluation:
 * n_features = input size (else ILRL_EUSAGE), N >= 1, actions in [0, K),
 * finite obs and weights (else ILRL_EINPUT naming the index). */
int ilrl_loss_data_check(const struct ilrl_mlp *mlp,
                         const struct ilrl_loss_data *data);

/* Workspace for one network and up to n_steps samples.  NULL on OOM. */
struct ilrl_loss_work;
struct ilrl_loss_work *ilrl_loss_work_alloc(const struct ilrl_mlp *mlp,
                                            size_t n_steps);
void ilrl_loss_work_free(struct ilrl_loss_work *work);

/* Evaluates L_IL and L_RL at theta; if grad_il / grad_rl are not NULL (each
 * of n_params) also their gradients.  No allocation.  The result depends
 * only on the inputs (fixed summation order), never on who calls it.
 * Preconditions (see ilrl_loss_data_check): data->n_steps <= the n_steps of
 * the workspace, data valid for the network.  il_loss / rl_loss may be NULL. */
void ilrl_loss_eval(const struct ilrl_mlp *mlp, const double *theta,
                    const struct ilrl_loss_data *data,
                    struct ilrl_loss_work *work,
                    double *il_loss, double *rl_loss,
                    double *grad_il, double *grad_rl);

/* Samples per block of ilrl_loss_eval (and of the plane evaluator).  A
 * constant: the summation order, and so the last bits, depend on it. */
#define ILRL_LOSS_BLOCK 256

/* The per-sample core of both losses, shared with the plane evaluator: for
 * n samples' logits (n x K row-major) stores l_i = log softmax(logits_i)[a_i]
 * in log_prob[n] and ADDS sum_i l_i to *il_sum and sum_i w_i l_i to *rl_sum.
 * Vectorised; the sums run in ILRL_VECTOR_LANES interleaved partial sums
 * combined in a fixed tree, so the result depends on the n samples alone. */
void ilrl_loss_accumulate(const double *logits, size_t n, size_t n_actions,
                          const int *action, const double *weight,
                          double *log_prob, double *il_sum, double *rl_sum);

#endif /* ILRL_LOSS_H */

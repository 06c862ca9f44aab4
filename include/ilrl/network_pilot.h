/* network_pilot.h -- the pilot "network:LANDSCAPE.nc:I,J": the policy of one
 * grid point of a landscape, replaying that point's rollouts
 * (docs/return-surface.md).
 *
 * The program reads the landscape file and hands over the network -- layer
 * sizes, activation, the point's theta(x[I], y[J]) = theta0 + x[I] d_x +
 * y[J] d_y formed by ilrl_plane_point as the engine does -- and the point's
 * rollout settings.  The pilot chooses actions with ilrl_rollout_act and
 * seeds episode e's game with ilrl_rollout_seed(seed, point, e), restarting
 * its sampler from that value (ilrl_rollout_episode_start): the code of
 * ilrl_rollout_point, not a copy.  So recording (record.h) with options
 * seed = the file's init_seed, n_episodes = rollouts, max_steps =
 * rollout_steps and scheme = reward_scheme replays the episodes behind the
 * file's return_mean / score_mean / length_mean at (I, J) bit for bit.
 * A landscape made with --objective losses has no rollout settings; the
 * program then uses the defaults below.
 *
 * Memory: the constructor copies the sizes and theta; the pilot it returns is
 * freed with ilrl_pilot_free().  Errors: ILRL_EINPUT (message without a file
 * name; the caller names the source) when the network does not play its
 * environment (D inputs, K outputs; with env NULL: when no environment, or
 * more than one, has the network's sizes), its sizes are unusable, or theta's length is
 * not the network's parameter count; ILRL_EFAILED out of memory.
 */
#ifndef ILRL_NETWORK_PILOT_H
#define ILRL_NETWORK_PILOT_H

#include <stddef.h>

#include "ilrl/mlp.h"
#include "ilrl/pilot.h"
#include "ilrl/rollout.h"

/* Rollout settings of a landscape made without --objective return. */
enum { ILRL_NETWORK_PILOT_EPISODES = 8, ILRL_NETWORK_PILOT_MAX_STEPS = 1000 };

struct ilrl_network_pilot_spec {
    const struct ilrl_env_type *env;  /* the environment; NULL: the one table
                                         entry whose D and K match layer_sizes */
    const size_t *layer_sizes;        /* n_layer_sizes entries, inputs first */
    size_t n_layer_sizes;
    enum ilrl_activation activation;
    const double *theta;              /* n_params parameters of the point */
    size_t n_params;
    size_t point;                     /* j * nx + i: the point's seed index */
    enum ilrl_rollout_policy policy;  /* greedy or sampled actions */
};

/* Builds the pilot named `name` (the canonical spec). */
int ilrl_network_pilot_new(const char *name, const struct ilrl_network_pilot_spec *spec,
                           struct ilrl_pilot **out);

/* 1 if `pilot` was built by ilrl_network_pilot_new. */
int ilrl_network_pilot_is(const struct ilrl_pilot *pilot);

#endif /* ILRL_NETWORK_PILOT_H */

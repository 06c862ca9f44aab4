/* network_pilot.c -- owns the network pilot (see include/ilrl/network_pilot.h):
 * a network, the point's theta and a rollout workspace behind the custom
 * pilot interface of pilot.h.  Its actions come from ilrl_rollout_act and its
 * episodes are seeded with ilrl_rollout_seed, the two things that make
 * ilrl_rollout_point's episodes what they are, so a recording replays them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/error.h"
#include "ilrl/network_pilot.h"

struct network_pilot {
    const struct ilrl_env_type *env;     /* the environment it plays */
    struct ilrl_mlp *mlp;
    double *theta;
    struct ilrl_rollout_work *rollout;   /* sampler and forward scratch */
    size_t point;
    enum ilrl_rollout_policy policy;
};

static int network_act(void *self, const struct ilrl_env *env)
{
    struct network_pilot *network = self;
    return ilrl_rollout_act(network->mlp, network->theta, network->policy, env,
                            network->rollout);
}

static const struct ilrl_env_type *network_env(const void *self)
{
    const struct network_pilot *network = self;
    return network->env;
}

static unsigned long network_episode_seed(const void *self, unsigned long seed, size_t e)
{
    const struct network_pilot *network = self;
    return ilrl_rollout_seed(seed, network->point, e);
}

static void network_episode_start(void *self, unsigned long pipe_seed)
{
    struct network_pilot *network = self;
    ilrl_rollout_episode_start(network->rollout, pipe_seed);
}

static void network_free(void *self)
{
    struct network_pilot *network = self;
    if (network == NULL)
        return;
    ilrl_rollout_work_free(network->rollout);
    free(network->theta);
    ilrl_mlp_free(network->mlp);
    free(network);
}

static const struct ilrl_pilot_ops network_ops = {
    .act = network_act,
    .episode_seed = network_episode_seed,
    .episode_start = network_episode_start,
    .free = network_free,
    .env = network_env,
};

/* The environment of spec: spec->env, else the one table entry whose D and K
 * are the network's inputs and outputs. */
static int network_env_of(const struct ilrl_network_pilot_spec *spec,
                          const struct ilrl_env_type **env)
{
    size_t n = spec->n_layer_sizes;
    size_t n_in = n >= 2 ? spec->layer_sizes[0] : 0, n_out = n >= 2 ? spec->layer_sizes[n - 1] : 0;
    int matches = 0;
    *env = spec->env;
    for (size_t i = 0; spec->env == NULL && i < ilrl_env_count(); i++) {
        const struct ilrl_env_type *type = ilrl_env_at(i);
        if (type->n_features == n_in && (size_t)type->n_actions == n_out) {
            *env = type;
            matches++;
        }
    }
    if (spec->env == NULL && matches != 1)
        return ilrl_error(ILRL_EINPUT, "layer_sizes (%zu inputs, %zu outputs) fit %s "
                          "environment of %s", n_in, n_out,
                          matches == 0 ? "no" : "more than one", ilrl_env_names());
    if (n_in != (*env)->n_features || n_out != (size_t)(*env)->n_actions)
        return ilrl_error(ILRL_EINPUT, "layer_sizes is not a %s network (%zu inputs, %d "
                          "outputs); the landscape was not made from a %s demonstration",
                          (*env)->title, (*env)->n_features, (*env)->n_actions,
                          (*env)->name);
    return ILRL_OK;
}

/* The network, which must play its environment and match theta's length. */
static int network_build(struct network_pilot *network,
                         const struct ilrl_network_pilot_spec *spec)
{
    size_t n = spec->n_layer_sizes;
    if (spec->layer_sizes == NULL || n < 2)
        return ilrl_error(ILRL_EINPUT, "layer_sizes has fewer than two entries");
    int status = network_env_of(spec, &network->env);
    if (status != ILRL_OK)
        return status;
    network->mlp = ilrl_mlp_alloc(spec->layer_sizes, n, spec->activation);
    if (network->mlp == NULL) {
        char reason[512];
        snprintf(reason, sizeof reason, "%s", ilrl_error_message());
        return ilrl_error(ILRL_EINPUT, "%s", reason);
    }
    if (network->mlp->n_params != spec->n_params)
        return ilrl_error(ILRL_EINPUT, "layer_sizes make %zu parameters but the param "
                          "dimension is %zu", network->mlp->n_params, spec->n_params);
    if (spec->theta == NULL)
        return ilrl_error(ILRL_EINPUT, "the network pilot has no parameters");
    struct ilrl_rollout_options options = {.env = ilrl_env_index(network->env)};
    network->rollout = ilrl_rollout_work_alloc(network->mlp, &options);
    network->theta = malloc(spec->n_params * sizeof *network->theta);
    if (network->rollout == NULL || network->theta == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for the network pilot");
    memcpy(network->theta, spec->theta, spec->n_params * sizeof *network->theta);
    network->point = spec->point;
    network->policy = spec->policy;
    return ILRL_OK;
}

int ilrl_network_pilot_new(const char *name, const struct ilrl_network_pilot_spec *spec,
                           struct ilrl_pilot **out)
{
    *out = NULL;
    if (spec == NULL)
        return ilrl_error(ILRL_EINPUT, "no network for the network pilot");
    struct network_pilot *network = calloc(1, sizeof *network);
    if (network == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for the network pilot");
    int status = network_build(network, spec);
    if (status != ILRL_OK) {
        network_free(network);
        return status;
    }
    return ilrl_pilot_custom(name, &network_ops, network, out);
}

int ilrl_network_pilot_is(const struct ilrl_pilot *pilot)
{
    return ilrl_pilot_custom_self(pilot, &network_ops) != NULL;
}

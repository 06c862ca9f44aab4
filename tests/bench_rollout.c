/* bench_rollout -- simulator steps per second with the policy in the loop
 * (issue 10's benchmark row): one line on stdout.
 *
 *   bench_rollout [LAYERS [SECONDS [alone]]]      defaults 12,64,64,2 and 2
 *
 * The network (tanh) is initialised with seed 1 as in docs/network-and-losses.md; grid points
 * 0, 1, 2, ... each play 8 greedy episodes of at most 1000 steps (the
 * defaults of --objective return) with the sparse rewards, through
 * ilrl_rollout_point, until SECONDS of wall-clock time have passed.  A
 * randomly initialised policy mostly crashes within ~30-60 frames, as
 * most of a landscape's points do, so the rate includes the per-episode
 * reset cost.
 *
 * With `alone`, the same episodes are played one at a time, one
 * ilrl_rollout_act (a single-row forward) per frame -- the path every
 * rollout took before the lockstep engine (and the network pilot's still):
 * the baseline of the lockstep's speed-up, measured in the same run.  Both
 * modes print the same steps (the values are the same, bit for bit).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/error.h"
#include "ilrl/env.h"
#include "ilrl/mlp.h"
#include "ilrl/rollout.h"
#include "testutil.h"

int main(int argc, char **argv)
{
    const char *layers = argc > 1 ? argv[1] : "12,64,64,2";
    double seconds = argc > 2 ? strtod(argv[2], NULL) : 2.0;
    size_t *sizes, n_sizes;
    struct ilrl_rollout_options options = {
        .n_episodes = 8, .max_steps = 1000, .scheme = 0 /* flappy-bird sparse */, .gamma = 0.99,
        .policy = ILRL_ROLLOUT_GREEDY};
    int alone = argc > 3 && strcmp(argv[3], "alone") == 0;
    if (argc > 4 || (argc > 3 && !alone) || !(seconds > 0)
        || ilrl_mlp_parse_layers(layers, &sizes, &n_sizes)) {
        fprintf(stderr, "usage: bench_rollout [LAYERS [SECONDS [alone]]] %s\n", ilrl_error_message());
        return 2;
    }
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, n_sizes, ILRL_ACTIVATION_TANH);
    free(sizes);
    struct ilrl_rollout_work *work = mlp ? ilrl_rollout_work_alloc(mlp, &options) : NULL;
    double *theta = mlp ? malloc(mlp->n_params * sizeof *theta) : NULL;
    if (work == NULL || theta == NULL || ilrl_mlp_init(mlp, 1, theta)) {
        fprintf(stderr, "bench_rollout: %s\n", ilrl_error_message());
        return 1;
    }
    struct ilrl_env *env = ilrl_env_alloc(ilrl_env_at(0), options.scheme);
    if (env == NULL) {
        fprintf(stderr, "bench_rollout: %s\n", ilrl_error_message());
        return 1;
    }
    long steps = 0;
    size_t point = 0;
    double start = test_now(), elapsed;
    do {
        struct ilrl_rollout_stats stats;
        if (alone) {
            struct ilrl_rollout_tally tally = {0};
            for (size_t k = 0; k < options.n_episodes; k++) {
                unsigned long seed = ilrl_rollout_seed(1, point, k);
                ilrl_rollout_episode_start(work, seed);
                ilrl_env_reset(env, seed);
                double episode_return = 0.0, discount = 1.0, reward;
                int over = 0;
                while (!over && env->steps < options.max_steps) {
                    int action = ilrl_rollout_act(mlp, theta, options.policy, env, work);
                    over = ilrl_env_step(env, action, &reward, NULL, NULL);
                    episode_return += discount * reward;
                    discount *= options.gamma;
                }
                ilrl_rollout_tally_add(&tally, episode_return, ilrl_env_score(env), env->steps);
            }
            ilrl_rollout_tally_stats(&tally, &stats);
            point++;
        } else if (ilrl_rollout_point(mlp, theta, &options, 1, point++, work, &stats, NULL, NULL)) {
            fprintf(stderr, "bench_rollout: %s\n", ilrl_error_message());
            return 1;
        }
        steps += stats.total_steps;
        elapsed = test_now() - start;
    } while (elapsed < seconds);
    printf("rollout %s tanh greedy%s: %.0f simulator steps/s with the policy in the loop "
           "(%ld steps, %zu points x 8 episodes, %.2f s, mean episode %.1f steps)\n",
           layers, alone ? " (one episode at a time)" : " (lockstep)", (double)steps / elapsed, steps, point, elapsed,
           (double)steps / (double)(point * 8));
    free(theta);
    ilrl_env_free(env);
    ilrl_rollout_work_free(work);
    ilrl_mlp_free(mlp);
    return 0;
}

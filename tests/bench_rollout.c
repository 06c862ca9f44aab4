/* bench_rollout -- simulator steps per second with the policy in the loop
 * (issue 10's benchmark row): one line on stdout.
 *
 *   bench_rollout [LAYERS [SECONDS]]      defaults 12,64,64,2 and 2
 *
 * The network (tanh) is initialised with seed 1 as in docs/network-and-losses.md; grid points
 * 0, 1, 2, ... each play 8 greedy episodes of at most 1000 steps (the
 * defaults of --objective return) with the sparse rewards, through
 * ilrl_rollout_point, until SECONDS of wall-clock time have passed.  A
 * randomly initialised policy mostly crashes within ~30-60 frames, as
 * most of a landscape's points do, so the rate includes the per-episode
 * reset cost.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "ilrl/error.h"
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
    if (argc > 3 || !(seconds > 0) || ilrl_mlp_parse_layers(layers, &sizes, &n_sizes)) {
        fprintf(stderr, "usage: bench_rollout [LAYERS [SECONDS]] %s\n", ilrl_error_message());
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
    long steps = 0;
    size_t point = 0;
    double start = test_now(), elapsed;
    do {
        struct ilrl_rollout_stats stats;
        if (ilrl_rollout_point(mlp, theta, &options, 1, point++, work, &stats, NULL, NULL)) {
            fprintf(stderr, "bench_rollout: %s\n", ilrl_error_message());
            return 1;
        }
        steps += stats.total_steps;
        elapsed = test_now() - start;
    } while (elapsed < seconds);
    printf("rollout %s tanh greedy: %.0f simulator steps/s with the policy in the loop "
           "(%ld steps, %zu points x 8 episodes, %.2f s, mean episode %.1f steps)\n",
           layers, (double)steps / elapsed, steps, point, elapsed,
           (double)steps / (double)(point * 8));
    free(theta);
    ilrl_rollout_work_free(work);
    ilrl_mlp_free(mlp);
    return 0;
}

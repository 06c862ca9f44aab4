/* rollout_tool -- helper of tests/rollout_replay.sh: writes a small landscape
 * file whose return surface is computed with ilrl_rollout_point (as the
 * engine does), and prints rollout statistics so the shell can compare a
 * landscape point with `ilrl-demo --pilot network:...`'s replay.
 *
 *   rollout_tool landscape OUT.nc POLICY SCHEME OBJECTIVE
 *       3 x 3 grid, network 12-8-2 relu: theta0 is the initialisation of
 *       docs/network-and-losses.md with seed 7 (= init_seed) scaled by 0.01, plus hidden units 0 and 1
 *       wired to flap when the bird is lower than 40.5 px above the first
 *       gap's bottom (a pilot that passes pipes, so the surface has scores);
 *       d_x on b1[0] (that margin), d_y on b2[1] (the flap logit's bias);
 *       x in {-30, 0, 30}, y in {-2, 0, 2}; 4 rollouts of at most 400 steps,
 *       gamma 0.9, the given POLICY (greedy | sample) and reward SCHEME.
 *       OBJECTIVE "losses" writes no return surface (and no rollout settings).
 *   rollout_tool point FILE.nc I J
 *       the stored return_mean, return_std, score_mean, length_mean at (I, J)
 *   rollout_tool replay DEMO.nc LANDSCAPE.nc
 *       the same four statistics of a demonstration file's episodes,
 *       discounted with the landscape's gamma, computed with the rollout
 *       module's tally (the same arithmetic)
 * Lines are "return_mean R return_std S score_mean M length_mean L" with
 * %.17g, so equal lines mean bit-identical values.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/demo.h"
#include "ilrl/demo_io.h"
#include "ilrl/env.h"
#include "ilrl/error.h"
#include "ilrl/landscape_io.h"
#include "ilrl/mlp.h"
#include "ilrl/plane.h"
#include "ilrl/rollout.h"

enum { NX = 3, NY = 3, RUN_SEED = 7, ROLLOUTS = 4, ROLLOUT_STEPS = 400 };
static const double GAMMA = 0.9;

static void print_stats(double return_mean, double return_std, double score_mean,
                        double length_mean)
{
    printf("return_mean %.17g return_std %.17g score_mean %.17g length_mean %.17g\n",
           return_mean, return_std, score_mean, length_mean);
}

static int fail(const char *what)
{
    fprintf(stderr, "rollout_tool: %s: %s\n", what, ilrl_error_message());
    return 1;
}

static int set_meta(struct ilrl_landscape_meta *meta, const char *policy, const char *scheme,
                    const char *objective, int with_return)
{
    static const int layers[] = {12, 8, 2};
    meta->layer_sizes = malloc(sizeof layers);
    if (meta->layer_sizes == NULL)
        return ILRL_EFAILED;
    memcpy(meta->layer_sizes, layers, sizeof layers);
    meta->n_layer_sizes = 3;
    meta->init_seed = RUN_SEED;
    meta->gamma = GAMMA;
    meta->n_steps = 31;
    meta->n_episodes = 1;
    meta->gradient_cosine = 0.0;
    meta->mpi_ranks = 1;
    meta->tile[0] = NY;
    meta->tile[1] = NX;
    meta->wall_seconds = 0.0;
    meta->rollouts = with_return ? ROLLOUTS : 0;
    meta->rollout_steps = with_return ? ROLLOUT_STEPS : 0;
    int status = ilrl_landscape_set_string(&meta->title, "rollout test landscape");
    if (!status) status = ilrl_landscape_set_string(&meta->history, "rollout_tool landscape");
    if (!status) status = ilrl_landscape_set_string(&meta->source, "rollout_tool (tests)");
    if (!status) status = ilrl_landscape_set_string(&meta->activation, "relu");
    if (!status) status = ilrl_landscape_set_string(&meta->plane, "weights:b1[0],b2[1]");
    if (!status) status = ilrl_landscape_set_string(&meta->rl_weight, "return");
    if (!status) status = ilrl_landscape_set_string(&meta->demo_file, "built-in:poor");
    if (!status) status = ilrl_landscape_set_string(&meta->objective, objective);
    if (!status && with_return)
        status = ilrl_landscape_set_string(&meta->rollout_policy, policy);
    if (!status) status = ilrl_landscape_set_string(&meta->reward_scheme, scheme);
    return status;
}

/* Scales the initialisation down and wires hidden units 0 and 1 as
 * relu(z) and relu(-z), z = 512 obs[9] - 512 obs[2] + 40.5, into the flap
 * logit (see check_rollout.c's copy network). */
static int wire_pilot(const struct ilrl_mlp *mlp, double *theta)
{
    static const struct { const char *name; double value; } wiring[] = {
        {"W1[0,9]", 512.0}, {"W1[0,2]", -512.0}, {"b1[0]", 40.5},
        {"W1[1,9]", -512.0}, {"W1[1,2]", 512.0}, {"b1[1]", -40.5},
        {"W2[1,0]", 1.0}, {"W2[1,1]", -1.0}, {"W2[0,0]", 0.0}, {"W2[0,1]", 0.0}};
    for (size_t p = 0; p < mlp->n_params; p++)
        theta[p] *= 0.01;
    for (size_t k = 0; k < sizeof wiring / sizeof wiring[0]; k++) {
        size_t index;
        int status = ilrl_mlp_param_index(mlp, wiring[k].name, &index);
        if (status)
            return status;
        theta[index] = wiring[k].value;
    }
    return ILRL_OK;
}

static int make_landscape(const char *path, const char *policy_name, const char *scheme_name,
                          const char *objective)
{
    static const size_t sizes[] = {12, 8, 2};
    struct ilrl_rollout_options options = {
        .n_episodes = ROLLOUTS, .max_steps = ROLLOUT_STEPS, .gamma = GAMMA};
    int with_return = strcmp(objective, "return") == 0;
    if (ilrl_rollout_policy_parse(policy_name, &options.policy)
        || ilrl_env_scheme_parse(ilrl_env_default(), scheme_name, &options.scheme))
        return fail("landscape");
    struct ilrl_mlp *mlp = ilrl_mlp_alloc(sizes, 3, ILRL_ACTIVATION_RELU);
    if (mlp == NULL)
        return fail("network");
    struct ilrl_landscape *landscape = ilrl_landscape_alloc(NX, NY, mlp->n_params, with_return);
    struct ilrl_rollout_work *work = ilrl_rollout_work_alloc(mlp, &options);
    double *theta = malloc(mlp->n_params * sizeof *theta);
    size_t index_x, index_y;
    int status = landscape && work && theta ? ILRL_OK : ILRL_EFAILED;
    if (!status) status = ilrl_mlp_init(mlp, RUN_SEED, landscape->theta0);
    if (!status) status = wire_pilot(mlp, landscape->theta0);
    if (!status) status = ilrl_mlp_param_index(mlp, "b1[0]", &index_x);
    if (!status) status = ilrl_mlp_param_index(mlp, "b2[1]", &index_y);
    if (!status) status = set_meta(&landscape->meta, policy_name, scheme_name, objective,
                                   with_return);
    if (!status) {
        landscape->direction_x[index_x] = 1.0;
        landscape->direction_y[index_y] = 1.0;
        for (size_t i = 0; i < NX; i++)
            landscape->x[i] = -30.0 + 30.0 * (double)i;
        for (size_t j = 0; j < NY; j++)
            landscape->y[j] = -2.0 + 2.0 * (double)j;
    }
    for (size_t j = 0; !status && j < NY; j++)
        for (size_t i = 0; !status && i < NX; i++) {
            size_t point = j * NX + i;
            struct ilrl_rollout_stats stats;
            landscape->il_loss[point] = 0.0;
            landscape->rl_loss[point] = 0.0;
            landscape->computed[point] = 1;
            if (!with_return)
                continue;
            ilrl_plane_point(mlp->n_params, landscape->theta0, landscape->direction_x,
                             landscape->direction_y, landscape->x[i], landscape->y[j], theta);
            status = ilrl_rollout_point(mlp, theta, &options, RUN_SEED, point, work, &stats,
                                        NULL, NULL);
            landscape->return_mean[point] = stats.return_mean;
            landscape->return_std[point] = stats.return_std;
            landscape->score_mean[point] = stats.score_mean;
            landscape->length_mean[point] = stats.length_mean;
        }
    if (!status) status = ilrl_landscape_write(path, landscape, 1);
    int code = status ? fail(path) : 0;
    free(theta);
    ilrl_rollout_work_free(work);
    ilrl_landscape_free(landscape);
    ilrl_mlp_free(mlp);
    return code;
}

static int print_point(const char *path, const char *i_text, const char *j_text)
{
    struct ilrl_landscape *landscape;
    if (ilrl_landscape_read(path, &landscape))
        return fail(path);
    size_t i = strtoul(i_text, NULL, 10), j = strtoul(j_text, NULL, 10);
    int code = 0;
    if (landscape->return_mean == NULL || i >= landscape->nx || j >= landscape->ny) {
        fprintf(stderr, "rollout_tool: %s: no return surface or (%zu, %zu) outside\n", path,
                i, j);
        code = 1;
    } else {
        size_t k = j * landscape->nx + i;
        print_stats(landscape->return_mean[k], landscape->return_std[k],
                    landscape->score_mean[k], landscape->length_mean[k]);
    }
    ilrl_landscape_free(landscape);
    return code;
}

static int print_replay(const char *path, const char *landscape_path)
{
    struct ilrl_demo *demo;
    struct ilrl_landscape *landscape;
    struct ilrl_rollout_tally tally = {0};
    struct ilrl_rollout_stats stats;
    if (ilrl_landscape_read(landscape_path, &landscape))
        return fail(landscape_path);
    double gamma = landscape->meta.gamma;
    ilrl_landscape_free(landscape);
    if (ilrl_demo_read(path, &demo))
        return fail(path);
    for (size_t e = 0; e < demo->n_episodes; e++)
        ilrl_rollout_tally_add(&tally,
                               ilrl_rollout_episode_return(&demo->reward[demo->episode_start[e]],
                                                           (size_t)demo->episode_length[e],
                                                           gamma),
                               demo->score ? demo->score[e] : 0, demo->episode_length[e]);
    ilrl_rollout_tally_stats(&tally, &stats);
    print_stats(stats.return_mean, stats.return_std, stats.score_mean, stats.length_mean);
    ilrl_demo_free(demo);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "landscape") == 0)
        return make_landscape(argv[2], argv[3], argv[4], argv[5]);
    if (argc == 5 && strcmp(argv[1], "point") == 0)
        return print_point(argv[2], argv[3], argv[4]);
    if (argc == 4 && strcmp(argv[1], "replay") == 0)
        return print_replay(argv[2], argv[3]);
    fprintf(stderr, "usage: rollout_tool landscape OUT.nc POLICY SCHEME OBJECTIVE\n"
                    "       rollout_tool point FILE.nc I J\n"
                    "       rollout_tool replay DEMO.nc LANDSCAPE.nc\n");
    return 2;
}

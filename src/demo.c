/* demo.c -- owns the in-memory demonstration dataset (include/ilrl/demo.h):
 * its allocation, its metadata strings and the validity rules of docs/formats.md.
 *
 * Every reader of a demonstration (the file reader, the built-in default
 * demo of ilrl-landscape, tests) funnels through ilrl_demo_validate(), so the
 * rules and their messages live in one place.  Messages name the origin, the
 * variable, the index and the value, e.g.
 *   "d.nc: action[17] = 3 is outside [0, 2)".
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/demo.h"
#include "ilrl/error.h"

/* The metadata strings, so that alloc and free treat them alike. */
#define DEMO_N_STRINGS 8

static void demo_string_fields(struct ilrl_demo *demo,
                               char **fields[DEMO_N_STRINGS])
{
    fields[0] = &demo->env;
    fields[1] = &demo->pilot;
    fields[2] = &demo->reward_scheme;
    fields[3] = &demo->action_names;
    fields[4] = &demo->feature_names;
    fields[5] = &demo->title;
    fields[6] = &demo->history;
    fields[7] = &demo->source;
}

struct ilrl_demo *ilrl_demo_alloc(size_t n_steps, size_t n_features,
                                  size_t n_episodes, int n_actions)
{
    struct ilrl_demo *demo;
    char **fields[DEMO_N_STRINGS];

    if (n_steps == 0 || n_features == 0 || n_episodes == 0) {
        ilrl_error(ILRL_EFAILED,
                   "demonstration needs at least one step, feature and episode "
                   "(got %zu steps, %zu features, %zu episodes)",
                   n_steps, n_features, n_episodes);
        return NULL;
    }
    if (n_actions < 2) {
        ilrl_error(ILRL_EFAILED, "demonstration needs n_actions >= 2 (got %d)",
                   n_actions);
        return NULL;
    }
    if (n_features > SIZE_MAX / sizeof(double) / n_steps) {
        ilrl_error(ILRL_EFAILED, "demonstration of %zu steps x %zu features is "
                   "too large for this machine", n_steps, n_features);
        return NULL;
    }

    demo = calloc(1, sizeof *demo);
    if (demo == NULL)
        goto out_of_memory;
    demo->n_steps = n_steps;
    demo->n_features = n_features;
    demo->n_episodes = n_episodes;
    demo->n_actions = n_actions;
    demo->seed = -1;
    demo->obs = calloc(n_steps * n_features, sizeof *demo->obs);
    demo->action = calloc(n_steps, sizeof *demo->action);
    demo->reward = calloc(n_steps, sizeof *demo->reward);
    demo->episode_start = calloc(n_episodes, sizeof *demo->episode_start);
    demo->episode_length = calloc(n_episodes, sizeof *demo->episode_length);
    demo->terminated = calloc(n_episodes, sizeof *demo->terminated);
    demo->score = calloc(n_episodes, sizeof *demo->score);
    if (demo->obs == NULL || demo->action == NULL || demo->reward == NULL
        || demo->episode_start == NULL || demo->episode_length == NULL
        || demo->terminated == NULL || demo->score == NULL)
        goto out_of_memory;
    demo_string_fields(demo, fields);
    for (size_t i = 0; i < DEMO_N_STRINGS; i++) {
        *fields[i] = calloc(1, 1);
        if (*fields[i] == NULL)
            goto out_of_memory;
    }
    return demo;

out_of_memory:
    ilrl_demo_free(demo);
    ilrl_error(ILRL_EFAILED, "out of memory allocating a demonstration of "
               "%zu steps x %zu features", n_steps, n_features);
    return NULL;
}

void ilrl_demo_free(struct ilrl_demo *demo)
{
    char **fields[DEMO_N_STRINGS];

    if (demo == NULL)
        return;
    free(demo->obs);
    free(demo->action);
    free(demo->reward);
    free(demo->episode_start);
    free(demo->episode_length);
    free(demo->terminated);
    free(demo->score);
    free(demo->final_obs);
    demo_string_fields(demo, fields);
    for (size_t i = 0; i < DEMO_N_STRINGS; i++)
        free(*fields[i]);
    free(demo);
}

int ilrl_demo_add_final_obs(struct ilrl_demo *demo)
{
    if (demo->final_obs != NULL)
        return ILRL_OK;
    if (demo->n_features > SIZE_MAX / sizeof(double) / demo->n_episodes)
        return ilrl_error(ILRL_EFAILED, "final_obs of %zu episodes x %zu features "
                          "is too large for this machine", demo->n_episodes,
                          demo->n_features);
    demo->final_obs = calloc(demo->n_episodes * demo->n_features,
                             sizeof *demo->final_obs);
    if (demo->final_obs == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory allocating final_obs of "
                          "%zu episodes x %zu features", demo->n_episodes,
                          demo->n_features);
    return ILRL_OK;
}

int ilrl_demo_set_string(char **field, const char *value)
{
    size_t length = strlen(value != NULL ? value : "");
    char *copy = malloc(length + 1);

    if (copy == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory copying a %zu-byte string",
                          length);
    memcpy(copy, value != NULL ? value : "", length + 1);
    free(*field);
    *field = copy;
    return ILRL_OK;
}

/* Episodes: start[0] = 0, each length >= 1, start[e+1] = start[e] + length[e],
 * and the last one ends exactly at n_steps. */
static int validate_episodes(const struct ilrl_demo *demo, const char *origin)
{
    int64_t expected_start = 0;

    for (size_t e = 0; e < demo->n_episodes; e++) {
        int64_t start = demo->episode_start[e];
        int length = demo->episode_length[e];

        if (e == 0 && start != 0)
            return ilrl_error(ILRL_EINPUT,
                              "%s: episode_start[0] = %" PRId64 " must be 0 "
                              "(episodes lie back to back from the first step)",
                              origin, start);
        if (start != expected_start)
            return ilrl_error(ILRL_EINPUT,
                              "%s: episode_start[%zu] = %" PRId64 " is not "
                              "contiguous: episode_start[%zu] + episode_length[%zu] = %"
                              PRId64, origin, e, start, e - 1, e - 1, expected_start);
        if (length < 1)
            return ilrl_error(ILRL_EINPUT,
                              "%s: episode_length[%zu] = %d must be >= 1",
                              origin, e, length);
        if ((uint64_t)start + (uint64_t)length > demo->n_steps)
            return ilrl_error(ILRL_EINPUT,
                              "%s: episode_length[%zu] = %d runs past the last step "
                              "(episode_start[%zu] = %" PRId64 ", %zu steps in total)",
                              origin, e, length, e, start, demo->n_steps);
        expected_start = start + length;
    }
    if ((uint64_t)expected_start != demo->n_steps)
        return ilrl_error(ILRL_EINPUT,
                          "%s: episode_start/episode_length cover %" PRId64
                          " of the %zu steps (episodes must cover every step)",
                          origin, expected_start, demo->n_steps);
    return ILRL_OK;
}

int ilrl_demo_validate(const struct ilrl_demo *demo, const char *origin)
{
    int status;

    if (origin == NULL)
        origin = "demonstration";
    if (demo == NULL)
        return ilrl_error(ILRL_EINPUT, "%s: no demonstration", origin);
    if (demo->n_steps == 0)
        return ilrl_error(ILRL_EINPUT, "%s: step: the demonstration has no steps",
                          origin);
    if (demo->n_features == 0)
        return ilrl_error(ILRL_EINPUT, "%s: feature: observations have no features",
                          origin);
    if (demo->n_episodes == 0)
        return ilrl_error(ILRL_EINPUT, "%s: episode: the demonstration has no episodes",
                          origin);
    if (demo->n_actions < 2)
        return ilrl_error(ILRL_EINPUT, "%s: n_actions = %d must be >= 2",
                          origin, demo->n_actions);

    status = validate_episodes(demo, origin);
    if (status != ILRL_OK)
        return status;

    for (size_t e = 0; e < demo->n_episodes; e++)
        if (demo->terminated[e] > 1)
            return ilrl_error(ILRL_EINPUT,
                              "%s: terminated[%zu] = %d is not 0 (truncated) or 1 "
                              "(terminated)", origin, e, demo->terminated[e]);

    for (size_t t = 0; t < demo->n_steps; t++) {
        if (demo->action[t] < 0 || demo->action[t] >= demo->n_actions)
            return ilrl_error(ILRL_EINPUT, "%s: action[%zu] = %d is outside [0, %d)",
                              origin, t, demo->action[t], demo->n_actions);
        if (!isfinite(demo->reward[t]))
            return ilrl_error(ILRL_EINPUT, "%s: reward[%zu] = %g is not finite",
                              origin, t, demo->reward[t]);
        for (size_t f = 0; f < demo->n_features; f++) {
            double value = demo->obs[t * demo->n_features + f];
            if (!isfinite(value))
                return ilrl_error(ILRL_EINPUT, "%s: obs[%zu,%zu] = %g is not finite",
                                  origin, t, f, value);
        }
    }

    /* A final_obs row is finite, or all NaN: "unknown" (the Python
     * writer's convention, src/ilrl/demo.py); a truncated episode whose row
     * is unknown has no TD target at its last step (value_loss.h). */
    for (size_t e = 0; demo->final_obs != NULL && e < demo->n_episodes; e++) {
        const double *row = demo->final_obs + e * demo->n_features;
        int unknown = isnan(row[0]);
        for (size_t f = 0; f < demo->n_features; f++)
            if (unknown ? !isnan(row[f]) : !isfinite(row[f]))
                return ilrl_error(ILRL_EINPUT,
                                  "%s: final_obs[%zu,%zu] = %g is not finite%s",
                                  origin, e, f, unknown ? row[0] : row[f],
                                  unknown ? " (a row is all NaN, meaning unknown, or finite)" : "");
    }
    return ILRL_OK;
}

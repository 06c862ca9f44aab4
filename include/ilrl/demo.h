/* demo.h -- a demonstration dataset in memory (docs/formats.md).
 *
 * All transitions of all episodes lie back to back: step t of the file is
 * (obs[t*n_features .. +n_features), action[t], reward[t]); episode e covers
 * steps [episode_start[e], episode_start[e] + episode_length[e]).  The struct
 * owns every array and string; ilrl_demo_free() releases them.  NetCDF is not
 * seen here: reading and writing live in demo_io.h.
 *
 * final_obs (optional, docs/value-objectives.md) is the observation after
 * each episode's last action: what a value-based objective bootstraps from
 * when the episode was truncated.  It is NULL unless someone calls
 * ilrl_demo_add_final_obs(): ilrl_demo_alloc() leaves it out, because a
 * zero-filled final observation would be a wrong one, not a missing one.
 * A row may be all NaN: that episode's final observation is unknown (the
 * Python writer's convention); every other entry is finite.
 */
#ifndef ILRL_DEMO_H
#define ILRL_DEMO_H

#include <stddef.h>
#include <stdint.h>

struct ilrl_demo {
    size_t n_steps;            /* N >= 1: transitions in the file */
    size_t n_features;         /* D >= 1: observation size */
    size_t n_episodes;         /* E >= 1 */
    int n_actions;             /* K >= 2 (global attribute n_actions) */
    double *obs;               /* N x D, row-major, finite */
    int *action;               /* N, each in [0, K) */
    double *reward;            /* N, finite; r_t received after a_t */
    int64_t *episode_start;    /* E, contiguous: start[0] = 0, start[e+1] = start[e] + length[e] */
    int *episode_length;       /* E, each >= 1, summing to N */
    unsigned char *terminated; /* E, 1 = crash/terminal, 0 = truncated */
    int *score;                /* E, pipes passed; NULL when the file has none */
    double *final_obs;         /* E x D, row-major, finite: the observation after
                                * episode e's last action; NULL when absent */
    /* Metadata (global attributes); never NULL after alloc, "" when unknown. */
    char *env;                 /* "flappy-bird" for our simulator */
    char *pilot;               /* e.g. "poor", "noisy:0.01" */
    char *reward_scheme;       /* "sparse" or "shaped" (or a foreign name) */
    char *action_names;        /* comma-separated, K names */
    char *feature_names;       /* comma-separated, D names */
    char *title;
    char *history;
    char *source;
    long seed;                 /* seed attribute; -1 when absent */
};

/* Allocates a dataset with all arrays of the given sizes (zeroed, score
 * included) and empty metadata strings.  Returns NULL (and records an error)
 * on a zero size, K < 2 or out of memory; partial work is undone. */
struct ilrl_demo *ilrl_demo_alloc(size_t n_steps, size_t n_features,
                                  size_t n_episodes, int n_actions);

/* Gives the demo a zero-filled final_obs (E x D) for the caller to fill;
 * an existing one is kept as it is.  ILRL_OK or ILRL_EFAILED (out of
 * memory, demo unchanged). */
int ilrl_demo_add_final_obs(struct ilrl_demo *demo);

/* Frees everything, final_obs included; accepts NULL. */
void ilrl_demo_free(struct ilrl_demo *demo);

/* Replaces one metadata string (field points into demo) by a copy of value.
 * Returns ILRL_OK or ILRL_EFAILED (out of memory). */
int ilrl_demo_set_string(char **field, const char *value);

/* Checks every rule of docs/formats.md on the arrays: episode_start contiguous and
 * covering all steps, lengths >= 1, actions in [0, K), finite obs and rewards,
 * terminated in {0, 1}, and final_obs rows finite or all NaN when present.  `origin` (a file name, or "built-in demo") starts
 * the message.  Returns ILRL_OK or ILRL_EINPUT with the variable and index
 * named, e.g. "demo.nc: action[17] = 3 is outside [0, 2)". */
int ilrl_demo_validate(const struct ilrl_demo *demo, const char *origin);

#endif /* ILRL_DEMO_H */

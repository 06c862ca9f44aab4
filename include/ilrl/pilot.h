/* pilot.h -- who plays the game, and recording a session as a demonstration.
 *
 * Pilots (SPEC §2): "poor", "strong", "noisy:EPS", "random", "human",
 * "keys:FILE", and (SPEC §11) "network:LANDSCAPE.nc:I,J", the policy of one
 * grid point of a landscape file.  A pilot looks at the full game state (not
 * only the observation) and answers an action each frame.  Recording plays episodes
 * with one pilot and returns them as an in-memory demonstration (SPEC §3),
 * which the landscape engine also uses for its built-in default demo.
 */
#ifndef ILRL_PILOT_H
#define ILRL_PILOT_H

#include <stdio.h>

#include "ilrl/demo.h"
#include "ilrl/flappy.h"
#include "ilrl/rollout.h"

struct ilrl_pilot;

/* Parses a --pilot value and builds the pilot; `seed` drives its own random
 * choices (noisy, random: a gsl_rng_mt19937 of the pilot's own).
 *
 * keys:FILE holds one frame index per line (blank lines and lines starting
 * with '#' are skipped, any order, duplicates harmless): the pilot flaps on
 * those frames and idles on all others.  Frames count the calls of
 * ilrl_pilot_act() since the pilot was parsed, i.e. across the whole session
 * from 0, episodes back to back -- exactly the `step` index of the recorded
 * demonstration file, so the flap frames of a file are the t with
 * action[t] = 1.  A line that is not such an index is ILRL_EUSAGE naming the
 * file and line ("keys.txt:3: ...").
 *
 * network:LANDSCAPE.nc:I,J (the path may contain ':'; I,J follow the last
 * one) plays the policy theta(x[I], y[J]) = theta0 + x[I] d_x + y[J] d_y of
 * the landscape file (formed by ilrl_plane_point, as the engine does) with
 * the network of its layer_sizes / activation, choosing actions with
 * ilrl_rollout_act -- the code of ilrl_rollout_point -- so that recording
 * with the settings of ilrl_pilot_network() replays the episodes behind the
 * file's return_mean / score_mean / length_mean at (I, J) exactly.  `seed` is
 * unused (the run seed is the file's init_seed).  A file made with
 * --objective losses has no rollout settings: the pilot is still built, with
 * the SPEC §11 defaults (8 episodes, 1000 steps, greedy), so any point of any
 * landscape can be watched; `reward_scheme` absent from the file means
 * sparse.  ILRL_EUSAGE for a malformed spec or I, J outside the grid;
 * ILRL_EINPUT (naming the file) when the file is unreadable, not a
 * landscape, or holds no Flappy Bird network (12 inputs, 2 outputs) or
 * unusable rollout settings.
 *
 * Returns ILRL_OK, ILRL_EUSAGE (unknown pilot, EPS outside [0, 1],
 * unreadable keys file, bad network spec: message names the value),
 * ILRL_EINPUT (network: bad landscape file) or ILRL_EFAILED. */
int ilrl_pilot_parse(const char *spec, unsigned long seed,
                     struct ilrl_pilot **out);
void ilrl_pilot_free(struct ilrl_pilot *pilot);

/* The canonical spec string ("noisy:0.01"), stored in the demo's `pilot`. */
const char *ilrl_pilot_name(const struct ilrl_pilot *pilot);

/* The replay settings of a network pilot: what to put in the recording
 * options to reproduce the landscape's rollouts at (I, J). */
struct ilrl_pilot_network {
    size_t i, j;                      /* grid indices: x index I, y index J */
    size_t point;                     /* j * nx + i, the seed's point index */
    double x, y;                      /* plane coordinates x[I], y[J] */
    unsigned long run_seed;           /* the file's init_seed (its --seed) */
    size_t n_episodes;                /* the file's rollouts (default 8) */
    long max_steps;                   /* rollout_steps (default 1000) */
    enum ilrl_reward_scheme scheme;   /* reward_scheme (default sparse) */
    enum ilrl_rollout_policy policy;  /* rollout_policy (default greedy) */
    double gamma;                     /* the file's gamma, for the returns */
    int from_file;                    /* 1: objective "return", settings read;
                                         0: SPEC §11 defaults used */
};

/* The settings of a network pilot, or NULL for any other pilot. */
const struct ilrl_pilot_network *ilrl_pilot_network(const struct ilrl_pilot *pilot);

/* Chooses the action for the current frame. Returns 0 or 1, or -1 when the
 * pilot wants to stop the session (human pressed q, end of a keys file is
 * NOT a stop: it idles). */
int ilrl_pilot_act(struct ilrl_pilot *pilot, const struct ilrl_flappy *game);

struct ilrl_record_options {
    size_t n_episodes;                  /* >= 1 */
    long max_steps;                     /* >= 1: truncation length */
    unsigned long seed;                 /* episode e's pipes use ilrl_episode_seed(seed, e);
                                           a network pilot's use ilrl_rollout_seed(seed,
                                           point, e) (seed = the run seed) */
    enum ilrl_reward_scheme scheme;
    int render;                         /* draw frames on `render_to` (the human
                                           pilot always draws) */
    FILE *render_to;                    /* terminal for --render / human; NULL = stdout */
    double fps;                         /* frame rate for render/human, in (0, 1000] */
    /* Called after each episode (may be NULL): e, length, score, terminated. */
    void (*on_episode)(void *ctx, size_t e, long length, int score, int terminated);
    void *on_episode_ctx;
};

/* Seed of episode e's pipe generator for a session seeded with `seed`:
 * the splitmix64 finaliser of seed + (e + 1) * 0x9E3779B97F4A7C15 (mod 2^64),
 * keeping the low 32 bits (all that gsl_rng_mt19937 uses).  Neighbouring
 * seeds and episodes so give unrelated pipe sequences. */
unsigned long ilrl_episode_seed(unsigned long seed, size_t episode);

/* Plays the session and returns it as a validated demonstration with all
 * metadata set (env = "flappy-bird", pilot, seed, reward_scheme, names).
 * Step t records the observation before action t and the reward after it.
 * With `render` (or the human pilot) frames are drawn at `fps`; the human
 * pilot reads keys from standard input, which must be a terminal (it is put
 * in raw mode and restored on every exit, see terminal.h), and each of its
 * episodes starts at a key press.  A human who quits (q) keeps what was
 * played, the interrupted episode truncated (terminated = 0).  A network
 * pilot's episode e uses the pipes of ilrl_rollout_seed(seed, point, e) and
 * restarts its sampling generator from the same value
 * (ilrl_rollout_episode_start), as ilrl_rollout_point does.  Returns
 * ILRL_OK, ILRL_EUSAGE (nothing was played) or ILRL_EFAILED. */
int ilrl_pilot_record(struct ilrl_pilot *pilot,
                      const struct ilrl_record_options *options,
                      struct ilrl_demo **out);

#endif /* ILRL_PILOT_H */

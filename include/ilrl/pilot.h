/* pilot.h -- who plays the game, and recording a session as a demonstration.
 *
 * Pilots (SPEC §2): "poor", "strong", "noisy:EPS", "random", "human",
 * "keys:FILE".  A pilot looks at the full game state (not only the
 * observation) and answers an action each frame.  Recording plays episodes
 * with one pilot and returns them as an in-memory demonstration (SPEC §3),
 * which the landscape engine also uses for its built-in default demo.
 */
#ifndef ILRL_PILOT_H
#define ILRL_PILOT_H

#include <stdio.h>

#include "ilrl/demo.h"
#include "ilrl/flappy.h"

struct ilrl_pilot;

/* Parses a --pilot value and builds the pilot; `seed` drives its own random
 * choices (noisy, random).  Returns ILRL_OK, ILRL_EUSAGE (unknown pilot, EPS
 * outside [0, 1], unreadable keys file: message names the value) or
 * ILRL_EFAILED. */
int ilrl_pilot_parse(const char *spec, unsigned long seed,
                     struct ilrl_pilot **out);
void ilrl_pilot_free(struct ilrl_pilot *pilot);

/* The canonical spec string ("noisy:0.01"), stored in the demo's `pilot`. */
const char *ilrl_pilot_name(const struct ilrl_pilot *pilot);

/* Chooses the action for the current frame. Returns 0 or 1, or -1 when the
 * pilot wants to stop the session (human pressed q, end of a keys file is
 * NOT a stop: it idles). */
int ilrl_pilot_act(struct ilrl_pilot *pilot, const struct ilrl_flappy *game);

struct ilrl_record_options {
    size_t n_episodes;                  /* >= 1 */
    long max_steps;                     /* >= 1: truncation length */
    unsigned long seed;                 /* episode e's pipes use ilrl_episode_seed(seed, e) */
    enum ilrl_reward_scheme scheme;
    int render;                         /* draw frames on `render_to` */
    FILE *render_to;                    /* terminal for --render / human */
    double fps;                         /* frame rate for render/human, > 0 */
    /* Called after each episode (may be NULL): e, length, score, terminated. */
    void (*on_episode)(void *ctx, size_t e, long length, int score, int terminated);
    void *on_episode_ctx;
};

/* Seed of episode e's pipe generator for a session seeded with `seed`. */
unsigned long ilrl_episode_seed(unsigned long seed, size_t episode);

/* Plays the session and returns it as a validated demonstration with all
 * metadata set (env = "flappy-bird", pilot, seed, reward_scheme, names).
 * A human who quits keeps what was played (at least one step).  Returns
 * ILRL_OK, ILRL_EUSAGE (nothing was played) or ILRL_EFAILED. */
int ilrl_pilot_record(struct ilrl_pilot *pilot,
                      const struct ilrl_record_options *options,
                      struct ilrl_demo **out);

#endif /* ILRL_PILOT_H */

/* record.h -- recording a session: one pilot plays episodes of an
 * environment (env.h; Flappy Bird unless told otherwise) and the session comes back as an in-memory demonstration (the layout of
 * docs/formats.md), which ilrl-demo writes and the landscape engine uses as
 * its built-in default demo.  Nothing here opens a file; writing the
 * demonstration is demo_io.h's job.
 *
 * Memory: the demonstration returned in *out belongs to the caller
 * (ilrl_demo_free); the pilot stays the caller's and keeps its state (a
 * second recording continues the pilot's frame count and generators).
 * Errors: an error.h status with the message recorded, *out NULL; nothing
 * printed.  The terminal, when used, is restored on every return.
 */
#ifndef ILRL_RECORD_H
#define ILRL_RECORD_H

#include <stdio.h>

#include "ilrl/demo.h"
#include "ilrl/env.h"
#include "ilrl/pilot.h"

struct ilrl_record_options {
    size_t n_episodes;                  /* >= 1 */
    long max_steps;                     /* >= 1 and <= INT32_MAX: truncation length
                                           (the environment's own time limit, if
                                           shorter, truncates first) */
    unsigned long seed;                 /* episode e's game is reset with
                                           ilrl_pilot_episode_seed(pilot, seed, e):
                                           ilrl_episode_seed(seed, e) for the built-in
                                           pilots, ilrl_rollout_seed(seed, point, e)
                                           for a network pilot (seed = the run seed) */
    const struct ilrl_env_type *env;    /* the game; NULL: the pilot's environment
                                           (ilrl_pilot_env), else flappy-bird */
    int scheme;                         /* reward scheme index of env (env.h);
                                           0 = its default (flappy-bird: sparse) */
    int render;                         /* draw frames on `render_to` (the human
                                           pilot always draws) */
    FILE *render_to;                    /* terminal for --render / human; NULL = stdout */
    double fps;                         /* frame rate for render/human, in (0, 1000] */
    /* Called after each episode (may be NULL): e, length, score, terminated. */
    void (*on_episode)(void *ctx, size_t e, long length, int score, int terminated);
    void *on_episode_ctx;
};

/* Plays the session and returns it as a validated demonstration with all
 * metadata set (env = the environment's name, pilot, seed, reward_scheme,
 * names, title; not history, which is the program's); an environment
 * without a score records none (demo->score NULL).  Step t records the
 * observation before action t and the reward after it.  Each episode resets
 * the game with the pilot's episode seed and then calls
 * ilrl_pilot_episode_start() with it.  With `render` (or the human pilot)
 * frames are drawn at `fps`; the human pilot reads keys from standard input,
 * which must be a terminal (it is put in raw mode and restored on every exit,
 * see terminal.h), and each of its episodes starts at a key press.  A human
 * who quits (q) keeps what was played, the interrupted episode truncated
 * (terminated = 0).  Returns ILRL_OK, ILRL_EUSAGE (bad options, no terminal
 * for the human pilot, or nothing was played, a pilot of another environment
 * than options->env, a scheme out of range) or ILRL_EFAILED. */
int ilrl_record_session(struct ilrl_pilot *pilot, const struct ilrl_record_options *options,
                        struct ilrl_demo **out);

#endif /* ILRL_RECORD_H */

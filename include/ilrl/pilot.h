/* pilot.h -- who plays the game: each frame, a pilot looks at the full game
 * (env.h: not only the observation) and answers an action.
 *
 * The pilots of docs/flappy-bird.md and docs/cartpole.md: "poor", "strong",
 * "noisy:EPS", "random", "human", "keys:FILE", and "network:LANDSCAPE.nc:I,J"
 * (docs/return-surface.md).  poor and strong are the environment's own
 * controllers (struct ilrl_env_type); noisy:EPS plays strong but, with
 * probability EPS each frame, one of the K actions uniformly at random;
 * random draws uniformly among the K actions; human maps the keys of the
 * terminal with the environment's key map; keys:FILE plays action 1 on the
 * listed frames and action 0 on all others (Flappy Bird: flap / idle;
 * CartPole: push right / push left).
 * This module owns the spec syntax of all of them and builds the ones that
 * need no data; it opens no file.  Two kinds are built from data the program
 * read and hands over:
 *   keys:FILE                  ilrl_pilot_keys() from the file's frames
 *                              (read by keys_io.h);
 *   network:LANDSCAPE.nc:I,J   ilrl_network_pilot_new() (network_pilot.h) from
 *                              the network of a landscape file.
 * Other modules make pilots of their own kind with ilrl_pilot_custom().
 * Recording a session with a pilot is record.h's job.
 *
 * Memory: a struct ilrl_pilot belongs to the caller of the constructor, who
 * frees it with ilrl_pilot_free() (NULL is fine); constructors copy what they
 * are given.  Errors: every function returning int returns an error.h status
 * with the message recorded (ilrl_error_message()), and leaves *out NULL.
 * Nothing here prints or exits.
 */
#ifndef ILRL_PILOT_H
#define ILRL_PILOT_H

#include <stddef.h>

#include "ilrl/env.h"

struct ilrl_pilot;

enum ilrl_pilot_kind {
    ILRL_PILOT_POOR, ILRL_PILOT_STRONG, ILRL_PILOT_NOISY, ILRL_PILOT_RANDOM,
    ILRL_PILOT_HUMAN, ILRL_PILOT_KEYS, ILRL_PILOT_NETWORK
};

/* A --pilot value taken apart (syntax only: no file is looked at). */
struct ilrl_pilot_spec {
    enum ilrl_pilot_kind kind;
    char *name;        /* canonical spec, stored in the demo's `pilot` ("noisy:0.01"); owned */
    double epsilon;    /* noisy: probability of a random action, in [0, 1] */
    char *file;        /* keys: the keys file; network: the landscape file; owned */
    size_t i, j;       /* network: grid indices, x index I, y index J */
};

/* Parses a --pilot value.  noisy:EPS needs a finite EPS in [0, 1]; its
 * canonical name prints the shortest decimal that reads back as the same
 * double.  network:LANDSCAPE.nc:I,J: the path may contain ':', I,J (decimal,
 * >= 0) follow the last one.  ILRL_EUSAGE naming the value for an unknown
 * pilot, a bad EPS, an empty keys file name or a malformed network spec;
 * ILRL_EFAILED out of memory.  Free with ilrl_pilot_spec_free() (also after
 * an error; a zeroed spec is fine). */
int ilrl_pilot_spec_parse(const char *spec, struct ilrl_pilot_spec *out);
void ilrl_pilot_spec_free(struct ilrl_pilot_spec *spec);

/* Builds a pilot of environment `env` that needs no data: poor, strong,
 * noisy, random, human.  `seed` drives its own random choices (noisy,
 * random: a gsl_rng_mt19937 of the pilot's own).  keys and network specs are
 * ILRL_EUSAGE here (their data must be read first, see above).  Such a pilot
 * plays only games of `env` (ilrl_pilot_act answers -1 on another). */
int ilrl_pilot_new_env(const struct ilrl_env_type *env, const struct ilrl_pilot_spec *spec,
                       unsigned long seed, struct ilrl_pilot **out);

/* ilrl_pilot_new_env for the default environment (flappy-bird). */
int ilrl_pilot_new(const struct ilrl_pilot_spec *spec, unsigned long seed,
                   struct ilrl_pilot **out);

/* ilrl_pilot_spec_parse() + ilrl_pilot_new(): e.g. ilrl_pilot_parse("poor", 1, &p). */
int ilrl_pilot_parse(const char *spec, unsigned long seed, struct ilrl_pilot **out);

/* The keys pilot: action 1 (flap, push right) on the session frames
 * `frames[0..n)` (any order, duplicates harmless; n may be 0) and action 0
 * (idle, push left) on all others; it plays any environment.  Frames count
 * the calls of ilrl_pilot_act() since the pilot was built, i.e. across the
 * whole session from 0, episodes back to back -- exactly the `step` index of
 * the recorded demonstration file, so the flap frames of a file are the t
 * with action[t] = 1.  After the last one it idles (the end is not a stop).
 * ILRL_EUSAGE for a negative frame, ILRL_EFAILED out of memory. */
int ilrl_pilot_keys(const char *name, const long *frames, size_t n,
                    struct ilrl_pilot **out);

/* A pilot of another module's kind: its behaviour is `ops`, its state
 * `self`.  The pilot takes ownership of `self` at once: ops->free(self) runs
 * from ilrl_pilot_free(), or here if building the pilot fails.  `ops` must
 * outlive the pilot (a static table). */
struct ilrl_pilot_ops {
    /* The action in `env`'s current game: in [0, K), or -1 to stop the
     * session.  Required. */
    int (*act)(void *self, const struct ilrl_env *env);
    /* Seed of episode e's game (reset) in a session seeded `seed`; NULL means
     * ilrl_episode_seed(seed, e) (seed.h), as the built-in pilots do. */
    unsigned long (*episode_seed)(const void *self, unsigned long seed, size_t episode);
    /* Called when an episode whose game was reset with `pipe_seed` starts; may be NULL. */
    void (*episode_start)(void *self, unsigned long pipe_seed);
    void (*free)(void *self);  /* may be NULL */
    /* The environment the pilot plays (ilrl_pilot_env); NULL: any. */
    const struct ilrl_env_type *(*env)(const void *self);
};
int ilrl_pilot_custom(const char *name, const struct ilrl_pilot_ops *ops, void *self,
                      struct ilrl_pilot **out);

/* The `self` of a pilot built with exactly these `ops`, else NULL: how a
 * module recognises its own pilots. */
void *ilrl_pilot_custom_self(const struct ilrl_pilot *pilot, const struct ilrl_pilot_ops *ops);

void ilrl_pilot_free(struct ilrl_pilot *pilot);

/* The canonical spec string, stored in the demo's `pilot` ("" for NULL). */
const char *ilrl_pilot_name(const struct ilrl_pilot *pilot);

/* 1 for the human pilot, which reads keys from a terminal on standard input
 * and waits for a key press before each episode. */
int ilrl_pilot_is_human(const struct ilrl_pilot *pilot);

/* The environment a built-in pilot plays (ilrl_pilot_new_env), a custom
 * pilot's ops->env answer, or NULL for keys pilots (and custom pilots
 * without ops->env), which play whatever they are given. */
const struct ilrl_env_type *ilrl_pilot_env(const struct ilrl_pilot *pilot);

/* Chooses the action for the current frame of `env`.  Returns an action in
 * [0, K), or -1 when the pilot wants to stop the session (human pressed q;
 * the end of a keys list is NOT a stop: it plays action 0), and -1 for a
 * NULL pilot or game or a game of another environment than the pilot's. */
int ilrl_pilot_act(struct ilrl_pilot *pilot, const struct ilrl_env *env);

/* Seed of episode e's game (reset) in a session seeded `seed` (see ilrl_pilot_ops). */
unsigned long ilrl_pilot_episode_seed(const struct ilrl_pilot *pilot, unsigned long seed,
                                      size_t episode);

/* Tells the pilot that an episode reset with `pipe_seed` starts. */
void ilrl_pilot_episode_start(struct ilrl_pilot *pilot, unsigned long pipe_seed);

#endif /* ILRL_PILOT_H */

/* env.h -- the environment interface: one contract every simulated game
 * fulfils, the way Gymnasium's Env is one contract (docs/adding-an-environment.md).
 *
 * An environment is a `struct ilrl_env_type`: a static table of constants
 * (name, observation size D and feature names, K and action names, reward
 * schemes, the environment's own time limit) and functions on an opaque game
 * (reset from a seed, step, observation, score, terminal picture, the human
 * pilot's key map, its own poor and strong pilots).  `struct ilrl_env` is one
 * running game of a type plus the bookkeeping every environment shares: the
 * reward scheme, the steps since reset, and the truncation at the type's
 * time limit.  Pilots (pilot.h), recording (record.h), rollouts (rollout.h)
 * and the return surface see environments only through this header.
 *
 * The table in env.c is the one place that lists the environments; index 0
 * (flappy-bird) is the default of every program.  A demonstration's `env`
 * attribute is a type's `name`; rollout options carry the table index (an
 * int travels between ranks, a pointer would not).
 *
 * Reward schemes are indices into the type's `scheme_names`; 0 is the
 * environment's default ("sparse" for Flappy Bird, "default" for CartPole).
 *
 * Memory: ilrl_env_alloc returns a game the caller frees with ilrl_env_free
 * (NULL is fine).  Nothing here prints or exits; errors are error.h statuses
 * with the message recorded.  Stepping and observing never allocate.
 */
#ifndef ILRL_ENV_H
#define ILRL_ENV_H

#include <stddef.h>
#include <stdio.h>

/* Keys the terminal reports (terminal.h), as a bit set: everything pressed
 * since the last poll.  Each environment maps them to an action. */
enum ilrl_key {
    ILRL_KEY_NONE = 0,
    ILRL_KEY_FLAP = 1,   /* space or the up arrow */
    ILRL_KEY_LEFT = 2,   /* left arrow */
    ILRL_KEY_RIGHT = 4,  /* right arrow */
    ILRL_KEY_QUIT = 8    /* q, Q or Ctrl-D */
};

/* One of an environment's own pilots (poor, strong): a controller that reads
 * the full game.  `alloc` may be NULL (no state: act gets self = NULL);
 * it returns NULL on out of memory. */
struct ilrl_env_controller {
    void *(*alloc)(void);
    void (*free)(void *self);
    int (*act)(void *self, const void *game);  /* an action in [0, K) */
};

struct ilrl_env_type {
    const char *name;             /* the demo's env attribute: "flappy-bird" */
    const char *title;            /* for titles: "Flappy Bird" */
    size_t n_features;            /* D >= 1 */
    const char *feature_names;    /* comma-separated, D names */
    int n_actions;                /* K >= 2 */
    const char *action_names;     /* comma-separated, K names */
    const char *const *scheme_names;  /* n_schemes names, [0] the default */
    int n_schemes;
    long time_limit;              /* truncation after this many steps; 0 none */
    int has_score;                /* 1: episodes have a score worth recording */
    const char *start_hint;       /* human pilot: "press space to start" */
    const char *keys_help;        /* human pilot: "space/up: flap   q: quit" */

    /* The game.  alloc returns NULL on out of memory; its state is undefined
     * until reset.  step plays `action` (any int: the environment says what
     * an out-of-range one does), stores the reward of `scheme` and returns 1
     * when the episode terminated; stepping a terminated game is a no-op
     * returning 1 with reward 0.  observe writes D doubles. */
    void *(*alloc)(void);
    void (*free)(void *game);
    void (*reset)(void *game, unsigned long seed);
    int (*step)(void *game, int action, int scheme, double *reward);
    void (*observe)(const void *game, double *obs);
    int (*score)(const void *game);

    /* The picture: rows of characters (ANSI colours allowed) each ending in
     * "\033[0m\033[K\r\n", for --render and the human pilot; at most 21 rows
     * of at most 79 columns, so status, picture and help fit 80 x 24. */
    void (*draw)(const void *game, FILE *out);

    /* The human pilot: the action for the keys pressed since the last frame
     * (`keys` an ilrl_key bit set without QUIT) in session frame `frame`. */
    int (*human_action)(unsigned keys, long frame);

    const struct ilrl_env_controller *poor, *strong;

    /* For the conformance suite: puts the game in its k-th extreme state
     * (k < n_extreme_states: bounds of the world, beyond them), which draw
     * and observe must survive. */
    size_t n_extreme_states;
    void (*set_extreme_state)(void *game, size_t k);
};

/* A running game of one type. */
struct ilrl_env {
    const struct ilrl_env_type *type;
    void *game;           /* the type's game, owned */
    int scheme;           /* index into type->scheme_names */
    long steps;           /* steps since the last reset */
    int terminated;       /* the last step ended the episode (crash, fall) */
    int truncated;        /* the type's time limit was reached (not terminated) */
};

/* ---- the table ------------------------------------------------------------ */

size_t ilrl_env_count(void);
const struct ilrl_env_type *ilrl_env_at(size_t index);   /* NULL past the end */
const struct ilrl_env_type *ilrl_env_default(void);      /* index 0: flappy-bird */
/* The type named `name`, or NULL; its table index in *index (may be NULL). */
const struct ilrl_env_type *ilrl_env_find(const char *name, int *index);
/* The table index of `type`, -1 if it is not in the table. */
int ilrl_env_index(const struct ilrl_env_type *type);
/* "flappy-bird, cartpole": the names, for messages. */
const char *ilrl_env_names(void);
/* ILRL_EUSAGE naming `name` and the known ones when unknown. */
int ilrl_env_parse(const char *name, const struct ilrl_env_type **type);

/* Scheme name <-> index.  Parse: ILRL_OK or ILRL_EUSAGE ("'x' is not a
 * reward scheme of cartpole (default, shaped)"). */
int ilrl_env_scheme_parse(const struct ilrl_env_type *type, const char *name, int *scheme);
const char *ilrl_env_scheme_name(const struct ilrl_env_type *type, int scheme);
/* "sparse or shaped", for messages. */
const char *ilrl_env_scheme_list(const struct ilrl_env_type *type);

/* ---- a running game --------------------------------------------------------- */

/* NULL (error recorded) on out of memory or a scheme out of range. */
struct ilrl_env *ilrl_env_alloc(const struct ilrl_env_type *type, int scheme);
void ilrl_env_free(struct ilrl_env *env);

/* Starts an episode from `seed`: steps = 0, flags cleared. */
void ilrl_env_reset(struct ilrl_env *env, unsigned long seed);

/* Plays one step; *reward, *terminated, *truncated may be NULL.  Returns 1
 * when the episode is over (terminated, or the type's time limit reached). */
int ilrl_env_step(struct ilrl_env *env, int action, double *reward, int *terminated,
                  int *truncated);

void ilrl_env_observe(const struct ilrl_env *env, double *obs);
int ilrl_env_score(const struct ilrl_env *env);

#endif /* ILRL_ENV_H */

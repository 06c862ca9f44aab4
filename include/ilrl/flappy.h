/* flappy.h -- the Flappy Bird simulator (SPEC §2).
 *
 * A deterministic, all-integer re-implementation of flappy-bird-gymnasium
 * v0.4.0: same step order, physics, half-open box collisions, scoring,
 * 12-feature observation and reward schemes.  y grows downward.  The only
 * randomness is the pipe gaps, drawn from the game's own gsl_rng_mt19937
 * (3 draws at reset, then one per respawn), so a seed fixes an episode for
 * a given action sequence.
 *
 * The game state is a plain value: a pilot may copy `struct ilrl_flappy_state`
 * and advance the copy with ilrl_flappy_state_step() to look ahead; a copy
 * never draws from the generator (a respawning pipe in a copy keeps its old
 * gap, which a lookahead of less than a pipe spacing never sees).
 */
#ifndef ILRL_FLAPPY_H
#define ILRL_FLAPPY_H

#include <gsl/gsl_rng.h>

#define ILRL_FLAPPY_N_FEATURES 12
#define ILRL_FLAPPY_N_ACTIONS 2
#define ILRL_FLAPPY_N_PIPES 3

/* Geometry and physics of SPEC §2, in pixels and pixels per frame. */
#define ILRL_FLAPPY_SCREEN_WIDTH 288
#define ILRL_FLAPPY_SCREEN_HEIGHT 512
#define ILRL_FLAPPY_GROUND_Y 404      /* 0.79 * 512 */
#define ILRL_FLAPPY_BIRD_X 57         /* 0.2 * 288 */
#define ILRL_FLAPPY_BIRD_WIDTH 34
#define ILRL_FLAPPY_BIRD_HEIGHT 24
#define ILRL_FLAPPY_BIRD_START_Y 244  /* (512 - 24) / 2 */
#define ILRL_FLAPPY_BIRD_MAX_Y 380    /* ground - bird height: resting on the ground */
#define ILRL_FLAPPY_FLAP_VY (-9)
#define ILRL_FLAPPY_MAX_VY 10
#define ILRL_FLAPPY_PIPE_WIDTH 52
#define ILRL_FLAPPY_PIPE_HEIGHT 320
#define ILRL_FLAPPY_PIPE_GAP 100
#define ILRL_FLAPPY_PIPE_SPEED 4
#define ILRL_FLAPPY_PIPE_RESPAWN_X 397 /* 288 + 52 + 0.2 * 288, truncated */

enum ilrl_flappy_action { ILRL_FLAPPY_IDLE = 0, ILRL_FLAPPY_FLAP = 1 };

enum ilrl_reward_scheme {
    ILRL_REWARD_SPARSE = 0, /* +1 pipe, -1 crash, 0 otherwise */
    ILRL_REWARD_SHAPED = 1  /* +0.1 alive, +1 pipe, -0.5 while y < 0, -1 crash */
};

struct ilrl_flappy_state {
    int bird_y;                           /* top of the bird box, px */
    int bird_vy;                          /* px/frame, -9 after a flap, <= 10 */
    int rotation;                         /* degrees, 45 after a flap, >= -90 */
    int pipe_x[ILRL_FLAPPY_N_PIPES];      /* left edge of each pipe, px */
    int pipe_gap_top[ILRL_FLAPPY_N_PIPES];/* y of the gap's top edge, px */
    int score;                            /* pipes passed so far */
    long steps;                           /* frames played */
    int crashed;                          /* 1 once the crash test fired */
};

struct ilrl_flappy {
    struct ilrl_flappy_state state;
    enum ilrl_reward_scheme scheme;
    gsl_rng *rng;                         /* pipe gaps; owned */
};

/* Allocates a game (state undefined until ilrl_flappy_reset).  NULL on out
 * of memory. */
struct ilrl_flappy *ilrl_flappy_alloc(enum ilrl_reward_scheme scheme);
void ilrl_flappy_free(struct ilrl_flappy *game);

/* Starts an episode whose pipe gaps come from `seed`. */
void ilrl_flappy_reset(struct ilrl_flappy *game, unsigned long seed);

/* Plays one frame with `action` (1 flap; 0 and any other value idle); stores the reward of the
 * game's scheme in *reward (may be NULL) and returns 1 if the bird crashed
 * (episode terminated), else 0.  Stepping a crashed game is a no-op that
 * returns 1 with reward 0. */
int ilrl_flappy_step(struct ilrl_flappy *game, int action, double *reward);

/* The same frame on a bare state (no generator): a respawning pipe keeps its
 * gap.  Returns 1 on a crash.  Used for lookahead. */
int ilrl_flappy_state_step(struct ilrl_flappy_state *state, int action,
                           int *passed_pipe);

/* The 12 features of SPEC §2, normalised as flappy-bird-gymnasium does:
 * the three pipes in order of their true x, each as x / 288, gap top / 512,
 * gap bottom / 512; then y / 512, vy / 10, rotation / 90.  A pipe with
 * x > 288 (strictly: not yet on screen, the gymnasium's own test) reads as
 * 1, 0, 1 (= 288, 0, 512 before normalising); a pipe at exactly x = 288, as
 * at reset, reads its true gap. */
void ilrl_flappy_observe(const struct ilrl_flappy_state *state,
                         double obs[ILRL_FLAPPY_N_FEATURES]);

/* The pipe-gap generator's draw: gap top = 100 + 10 * k, k uniform in
 * {0..7} (gsl_rng_uniform_int(rng, 8)). */
int ilrl_flappy_draw_gap_top(const gsl_rng *rng);

/* Comma-separated names of the 12 features and of the 2 actions. */
extern const char ilrl_flappy_feature_names[];
extern const char ilrl_flappy_action_names[];

/* "sparse" / "shaped" <-> enum.  Parse returns ILRL_OK or ILRL_EUSAGE. */
int ilrl_reward_scheme_parse(const char *name, enum ilrl_reward_scheme *scheme);
const char *ilrl_reward_scheme_name(enum ilrl_reward_scheme scheme);

#endif /* ILRL_FLAPPY_H */

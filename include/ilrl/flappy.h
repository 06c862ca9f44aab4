/* flappy.h -- the Flappy Bird simulator (docs/flappy-bird.md).
 *
 * A deterministic, all-integer re-implementation of flappy-bird-gymnasium
 * v0.4.0: same step order, physics, half-open box collisions, scoring,
 * 12-feature observation and reward schemes.  y grows downward.  Pipe x is
 * kept in tenths of a pixel, because upstream respawns a pipe at the float
 * x = 288 + 52 + 0.2 * 288 = 397.6 (its _get_random_pipe()); every
 * decision on it stays integer (see "Pipe positions" below).  The only
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

/* Geometry and physics of docs/flappy-bird.md, in pixels and pixels per frame. */
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
#define ILRL_FLAPPY_PIPE_RESPAWN_X10 3976 /* 288 + 52 + 0.2 * 288 = 397.6 px */

/* Pipe positions.  Upstream keeps a pipe's x as a Python number: the int
 * 288 and the floats 432.0, 576.0 at reset(), the float 397.6 after a
 * respawn, and step() adds PIPE_VEL_X = -4 every frame.  Each of these
 * additions is exact in binary64 (the result is a multiple of the ulp of
 * 397.6 and smaller in magnitude), so upstream's x is, exactly, either a
 * whole number of pixels or fl(397.6) - 4k after k frames.  We keep
 * pipe_x10 = 10 x (tenths of a pixel, an int: 3976 - 40k) and decide
 * everything in integers, each decision equal to upstream's float one:
 *
 * - respawn: pipe_x10 < -520, upstream's x < -PIPE_WIDTH;
 * - score: pipe_x10 + 260 <= 740 < pipe_x10 + 300, upstream's
 *   x + 52 / 2 <= 57 + 34 / 2 < x + 26 + 4 (reachable x are >= 0.4 px from
 *   either bound, so upstream's rounding cannot tip it);
 * - collision: upstream builds pygame.Rect(x, y, 52, 320), and pygame's
 *   Rect converts a float argument with a C (int) cast (pg_IntFromObj in
 *   its base.h), i.e. truncates toward zero; our pipe box's left edge is
 *   pipe_x10 / 10 in C integer division, which truncates toward zero too,
 *   so the boxes are pygame's to the pixel (colliderect: half-open);
 * - on screen: pipe_x10 > 2880, upstream's _get_observation_features()
 *   test x > screen width.
 *
 * Only the observation needs the float itself: ilrl_flappy_pipe_x()
 * returns upstream's binary64 x for a pipe_x10, bit for bit.
 * tests/upstream_flappy.py, a model of upstream's step() with its floats,
 * replays recorded sessions and checks every observation, reward,
 * termination and score to the last bit (tests/upstream_flappy.sh).
 *
 * pipe_x keeps the whole-pixel left edge (pipe_x10 / 10, as pygame sees
 * it) for the readers that draw or steer in pixels (terminal, pilots).  It
 * is a view: ilrl_flappy_reset() and every step rewrite it from pipe_x10;
 * a hand-built state sets pipe_x10 (pipe_x is ignored by the game). */

enum ilrl_flappy_action { ILRL_FLAPPY_IDLE = 0, ILRL_FLAPPY_FLAP = 1 };

enum ilrl_reward_scheme {
    ILRL_REWARD_SPARSE = 0, /* +1 pipe, -1 crash, 0 otherwise */
    ILRL_REWARD_SHAPED = 1  /* +0.1 alive, +1 pipe, -0.5 while y < 0, -1 crash */
};

struct ilrl_flappy_state {
    int bird_y;                           /* top of the bird box, px */
    int bird_vy;                          /* px/frame, -9 after a flap, <= 10 */
    int rotation;                         /* degrees, 45 after a flap, >= -90 */
    int pipe_x10[ILRL_FLAPPY_N_PIPES];    /* left edge of each pipe, 0.1 px */
    int pipe_x[ILRL_FLAPPY_N_PIPES];      /* pipe_x10 / 10: whole px, a view */
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

/* The 12 features, computed as flappy-bird-gymnasium's
 * _get_observation_features() does with normalize_obs (the default), to the
 * last bit: each pipe reads (x, gap top, gap bottom), or (288, 0, 512) while
 * x > 288 (not yet on screen; a pipe at exactly 288, as at reset, reads its
 * true gap); the three readings are sorted by their x with a stable sort
 * (Python's sorted(): ties keep the pipes' slot order); then each value is
 * divided once in binary64: x / 288, gap top / 512, gap bottom / 512, then
 * y / 512, vy / 10, rotation / 90.  x is ilrl_flappy_pipe_x(), so a
 * respawned pipe reads (397.6 - 4k) / 288 exactly as upstream's float64
 * array does. */
void ilrl_flappy_observe(const struct ilrl_flappy_state *state,
                         double obs[ILRL_FLAPPY_N_FEATURES]);

/* Upstream's binary64 pipe x for a position in tenths: x10 / 10 when that is
 * a whole pixel; fl(397.6) - (3976 - x10) / 10 when the pipe is a whole
 * number of pixels left of the respawn point (exactly upstream's float after
 * that many frames of -4); otherwise (a hand-built state only) the double
 * nearest x10 / 10. */
double ilrl_flappy_pipe_x(int x10);

/* The pipe-gap generator's draw: gap top = 100 + 10 * k, k uniform in
 * {0..7} (gsl_rng_uniform_int(rng, 8)). */
int ilrl_flappy_draw_gap_top(const gsl_rng *rng);

/* Comma-separated names of the 12 features and of the 2 actions. */
extern const char ilrl_flappy_feature_names[];
extern const char ilrl_flappy_action_names[];

/* "sparse" / "shaped" <-> enum.  Parse returns ILRL_OK or ILRL_EUSAGE. */
int ilrl_reward_scheme_parse(const char *name, enum ilrl_reward_scheme *scheme);
const char *ilrl_reward_scheme_name(enum ilrl_reward_scheme scheme);

/* The game behind the environment interface (env.h; src/flappy_env.c): its
 * schemes are "sparse" (0) and "shaped" (1), no time limit, a score (pipes
 * passed), and the poor and strong pilots of docs/flappy-bird.md. */
struct ilrl_env_type;
extern const struct ilrl_env_type ilrl_flappy_env;

#endif /* ILRL_FLAPPY_H */

/* flappy.c -- owns the Flappy Bird game: physics, pipes, scoring, crash
 * test, observation and rewards (see include/ilrl/flappy.h, docs/flappy-bird.md).
 *
 * Everything is integer (pixels; pipe x in tenths of a pixel, whose
 * decisions flappy.h derives from upstream's float ones), so a seed and an
 * action sequence fix an episode bit for bit on every platform; the
 * observation's divisions are upstream's, one binary64 division per
 * feature.  One frame is advance() below; the
 * game and the bare-state lookahead share it and differ only in whether a
 * respawning pipe draws a new gap (the game) or keeps its old one (a
 * lookahead copy, which must not consume the game's random numbers).
 * Stepping never allocates.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ilrl/error.h"
#include "ilrl/flappy.h"

const char ilrl_flappy_feature_names[] =
    "pipe0_x,pipe0_gap_top,pipe0_gap_bottom,"
    "pipe1_x,pipe1_gap_top,pipe1_gap_bottom,"
    "pipe2_x,pipe2_gap_top,pipe2_gap_bottom,"
    "bird_y,bird_vy,bird_rotation";
const char ilrl_flappy_action_names[] = "idle,flap";

/* Gap tops are 100 + 10 k for k in {0..7}: the gap (100 px) then always
 * ends at least 134 px above the ground. */
enum { GAP_TOP_MIN = 100, GAP_TOP_STEP = 10, GAP_TOP_CHOICES = 8 };

/* Rotation: -3 degrees per frame, floor -90, reset to 45 by a flap. */
enum { ROTATION_FLAP = 45, ROTATION_STEP = 3, ROTATION_MIN = -90 };

/* A flap is accepted only while the bird's top is below -2 bird heights. */
enum { FLAP_CEILING = -2 * ILRL_FLAPPY_BIRD_HEIGHT };

/* The x values of the three pipes at reset, in tenths of a pixel: the
 * screen's right edge, then every half screen (upstream: 288, 288 + 288 / 2,
 * 288 + 288, whole pixels). */
static const int reset_pipe_x10[ILRL_FLAPPY_N_PIPES] = {2880, 4320, 5760};

/* Pipe geometry in tenths of a pixel. */
enum {
    X10_PER_PX = 10,
    PIPE_SPEED_X10 = ILRL_FLAPPY_PIPE_SPEED * X10_PER_PX,
    PIPE_WIDTH_X10 = ILRL_FLAPPY_PIPE_WIDTH * X10_PER_PX,
    PIPE_HALF_WIDTH_X10 = ILRL_FLAPPY_PIPE_WIDTH * X10_PER_PX / 2,
    BIRD_CENTRE_X10 = ILRL_FLAPPY_BIRD_X * X10_PER_PX + ILRL_FLAPPY_BIRD_WIDTH * X10_PER_PX / 2,
    SCREEN_WIDTH_X10 = ILRL_FLAPPY_SCREEN_WIDTH * X10_PER_PX
};

/* The respawn x as upstream computes it, (288 + 52) + 288 * 0.2 in binary64:
 * 0x1.8d9999999999ap+8, the double nearest 397.6. */
static double respawn_x(void)
{
    return (double)(ILRL_FLAPPY_SCREEN_WIDTH + ILRL_FLAPPY_PIPE_WIDTH)
           + ILRL_FLAPPY_SCREEN_WIDTH * 0.2;
}

double ilrl_flappy_pipe_x(int x10)
{
    if (x10 % X10_PER_PX == 0)
        return (double)(x10 / X10_PER_PX);
    if ((ILRL_FLAPPY_PIPE_RESPAWN_X10 - x10) % X10_PER_PX == 0)
        return respawn_x() - (double)((ILRL_FLAPPY_PIPE_RESPAWN_X10 - x10) / X10_PER_PX);
    return x10 / (double)X10_PER_PX;
}

/* The pipe's whole-pixel left edge as pygame's Rect sees it: truncated
 * toward zero, which C's integer division does as well. */
static int pipe_left_px(int x10)
{
    return x10 / X10_PER_PX;
}

int ilrl_flappy_draw_gap_top(const gsl_rng *rng)
{
    return GAP_TOP_MIN + GAP_TOP_STEP * (int)gsl_rng_uniform_int(rng, GAP_TOP_CHOICES);
}

struct ilrl_flappy *ilrl_flappy_alloc(enum ilrl_reward_scheme scheme)
{
    struct ilrl_flappy *game = calloc(1, sizeof *game);
    if (game == NULL)
        return NULL;
    game->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (game->rng == NULL) {
        free(game);
        return NULL;
    }
    game->scheme = scheme;
    return game;
}

void ilrl_flappy_free(struct ilrl_flappy *game)
{
    if (game == NULL)
        return;
    gsl_rng_free(game->rng);
    free(game);
}

void ilrl_flappy_reset(struct ilrl_flappy *game, unsigned long seed)
{
    if (game == NULL)
        return;
    struct ilrl_flappy_state *state = &game->state;
    memset(state, 0, sizeof *state);
    gsl_rng_set(game->rng, seed);
    state->bird_y = ILRL_FLAPPY_BIRD_START_Y;
    state->bird_vy = ILRL_FLAPPY_FLAP_VY;
    state->rotation = ROTATION_FLAP;
    /* Three draws, pipe 0 first: the documented order tests rely on. */
    for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++) {
        state->pipe_x10[i] = reset_pipe_x10[i];
        state->pipe_x[i] = pipe_left_px(state->pipe_x10[i]);
        state->pipe_gap_top[i] = ilrl_flappy_draw_gap_top(game->rng);
    }
}

/* Step (2): the bird's centre (x = 74) has reached a pipe's centre during
 * this frame.  Pipes move 4 px per frame, so exactly one frame of a pipe's
 * life satisfies x + 26 <= 74 < x + 30: each pipe scores once.  In tenths,
 * exact (flappy.h: the bounds are never within upstream's rounding). */
static int passes_a_pipe(const struct ilrl_flappy_state *state)
{
    for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++) {
        int pipe_centre = state->pipe_x10[i] + PIPE_HALF_WIDTH_X10;
        if (pipe_centre <= BIRD_CENTRE_X10 && BIRD_CENTRE_X10 < pipe_centre + PIPE_SPEED_X10)
            return 1;
    }
    return 0;
}

/* Half-open interval overlap: [a0, a1) and [b0, b1) share a pixel. */
static int intervals_overlap(int a0, int a1, int b0, int b1)
{
    return a0 < b1 && b0 < a1;
}

/* Step (7): the bird rests on the ground, or its box shares a pixel with an
 * upper or lower pipe.  Boxes are half-open, so touching edges is safe. */
static int crashes(const struct ilrl_flappy_state *state)
{
    const int bird_top = state->bird_y;
    const int bird_bottom = state->bird_y + ILRL_FLAPPY_BIRD_HEIGHT;
    if (state->bird_y >= ILRL_FLAPPY_BIRD_MAX_Y)
        return 1;
    for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++) {
        int x = pipe_left_px(state->pipe_x10[i]);
        int gap_top = state->pipe_gap_top[i];
        int gap_bottom = gap_top + ILRL_FLAPPY_PIPE_GAP;
        if (!intervals_overlap(ILRL_FLAPPY_BIRD_X, ILRL_FLAPPY_BIRD_X + ILRL_FLAPPY_BIRD_WIDTH,
                               x, x + ILRL_FLAPPY_PIPE_WIDTH))
            continue;
        if (intervals_overlap(bird_top, bird_bottom, gap_top - ILRL_FLAPPY_PIPE_HEIGHT, gap_top)
            || intervals_overlap(bird_top, bird_bottom, gap_bottom,
                                 gap_bottom + ILRL_FLAPPY_PIPE_HEIGHT))
            return 1;
    }
    return 0;
}

/* Steps (1)-(7) of docs/flappy-bird.md on `state`.  A respawning pipe draws its new gap
 * from `rng`, or keeps its gap when rng is NULL (lookahead). */
static int advance(struct ilrl_flappy_state *state, int action, int *passed_pipe,
                   const gsl_rng *rng)
{
    int flapped = 0;
    if (state == NULL)
        return 1;
    if (state->crashed) {
        if (passed_pipe != NULL)
            *passed_pipe = 0;
        return 1;
    }
    if (action == ILRL_FLAPPY_FLAP && state->bird_y > FLAP_CEILING) {
        state->bird_vy = ILRL_FLAPPY_FLAP_VY;
        flapped = 1;
    }
    int passed = passes_a_pipe(state);
    state->score += passed;
    if (flapped)
        state->rotation = ROTATION_FLAP;
    else if (state->rotation - ROTATION_STEP >= ROTATION_MIN)
        state->rotation -= ROTATION_STEP;
    else
        state->rotation = ROTATION_MIN;
    if (!flapped && state->bird_vy < ILRL_FLAPPY_MAX_VY)
        state->bird_vy += 1;
    state->bird_y += state->bird_vy;
    if (state->bird_y > ILRL_FLAPPY_BIRD_MAX_Y)
        state->bird_y = ILRL_FLAPPY_BIRD_MAX_Y;
    for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++) {
        state->pipe_x10[i] -= PIPE_SPEED_X10;
        if (state->pipe_x10[i] < -PIPE_WIDTH_X10) {
            state->pipe_x10[i] = ILRL_FLAPPY_PIPE_RESPAWN_X10;
            if (rng != NULL)
                state->pipe_gap_top[i] = ilrl_flappy_draw_gap_top(rng);
        }
        state->pipe_x[i] = pipe_left_px(state->pipe_x10[i]);
    }
    state->steps++;
    state->crashed = crashes(state);
    if (passed_pipe != NULL)
        *passed_pipe = passed;
    return state->crashed;
}

int ilrl_flappy_state_step(struct ilrl_flappy_state *state, int action, int *passed_pipe)
{
    return advance(state, action, passed_pipe, NULL);
}

/* The reward of one frame; the crash outranks the ceiling zone, which
 * outranks a pipe, as in flappy-bird-gymnasium's step(). */
static double frame_reward(enum ilrl_reward_scheme scheme, int passed, int crashed, int bird_y)
{
    if (crashed)
        return -1.0;
    if (scheme == ILRL_REWARD_SHAPED) {
        if (bird_y < 0)
            return -0.5;
        return passed ? 1.0 : 0.1;
    }
    return passed ? 1.0 : 0.0;
}

int ilrl_flappy_step(struct ilrl_flappy *game, int action, double *reward)
{
    int passed = 0;
    if (game == NULL || game->state.crashed) {
        if (reward != NULL)
            *reward = 0.0;
        return 1;
    }
    int crashed = advance(&game->state, action, &passed, game->rng);
    if (reward != NULL)
        *reward = frame_reward(game->scheme, passed, crashed, game->state.bird_y);
    return crashed;
}

/* One pipe's reading before normalising: x (upstream's float, or the int
 * 288 off screen), gap top and bottom (ints). */
struct pipe_reading {
    double x;
    int gap_top, gap_bottom;
};

void ilrl_flappy_observe(const struct ilrl_flappy_state *state,
                         double obs[ILRL_FLAPPY_N_FEATURES])
{
    struct pipe_reading pipes[ILRL_FLAPPY_N_PIPES];
    for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++) {
        struct pipe_reading reading;
        if (state->pipe_x10[i] > SCREEN_WIDTH_X10) {
            reading.x = ILRL_FLAPPY_SCREEN_WIDTH;
            reading.gap_top = 0;
            reading.gap_bottom = ILRL_FLAPPY_SCREEN_HEIGHT;
        } else {
            reading.x = ilrl_flappy_pipe_x(state->pipe_x10[i]);
            reading.gap_top = state->pipe_gap_top[i];
            reading.gap_bottom = state->pipe_gap_top[i] + ILRL_FLAPPY_PIPE_GAP;
        }
        /* Insertion in slot order, behind every reading with x <= ours:
         * the stable sort of upstream's sorted(pipes, key=x). */
        int at = i;
        while (at > 0 && reading.x < pipes[at - 1].x) {
            pipes[at] = pipes[at - 1];
            at--;
        }
        pipes[at] = reading;
    }
    for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++) {
        obs[3 * i] = pipes[i].x / ILRL_FLAPPY_SCREEN_WIDTH;
        obs[3 * i + 1] = pipes[i].gap_top / (double)ILRL_FLAPPY_SCREEN_HEIGHT;
        obs[3 * i + 2] = pipes[i].gap_bottom / (double)ILRL_FLAPPY_SCREEN_HEIGHT;
    }
    obs[9] = state->bird_y / (double)ILRL_FLAPPY_SCREEN_HEIGHT;
    obs[10] = state->bird_vy / (double)ILRL_FLAPPY_MAX_VY;
    obs[11] = state->rotation / 90.0;
}

int ilrl_reward_scheme_parse(const char *name, enum ilrl_reward_scheme *scheme)
{
    if (name != NULL && strcmp(name, "sparse") == 0) {
        *scheme = ILRL_REWARD_SPARSE;
        return ILRL_OK;
    }
    if (name != NULL && strcmp(name, "shaped") == 0) {
        *scheme = ILRL_REWARD_SHAPED;
        return ILRL_OK;
    }
    return ilrl_error(ILRL_EUSAGE, "unknown reward scheme '%s' (expected sparse or shaped)",
                      name != NULL ? name : "(null)");
}

const char *ilrl_reward_scheme_name(enum ilrl_reward_scheme scheme)
{
    return scheme == ILRL_REWARD_SHAPED ? "shaped" : "sparse";
}

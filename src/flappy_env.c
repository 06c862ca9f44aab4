/* flappy_env.c -- Flappy Bird behind the environment interface (env.h):
 * the game of flappy.c unchanged, its terminal picture, its key map, and
 * its own pilots (poor, strong).
 *
 * The strong pilot is a lookahead controller.  A heuristic proposes an
 * action (keep the bird's bottom above the next gap's bottom edge); a
 * depth-first search over the reachable (frame, y, vy) states of the next
 * LOOKAHEAD_FRAMES frames vetoes the proposal when no continuation survives
 * that long.  The future of a state depends only on (frame offset, y, vy) --
 * the pipes move on a fixed schedule and rotation and score never change the
 * physics -- so a state that failed once is marked dead and never searched
 * again: the search visits at most 40 x 512 x 20 states, and usually
 * just the heuristic's own path of 40.  15000 decisions take 0.1 s.  40
 * frames are 160 px, more than a pipe spacing (144-165 px), and less than
 * the 76 frames a respawned pipe (whose gap a lookahead copy cannot know)
 * needs to reach the bird.
 *
 * The picture: 8 x 24 px per character cell, so the 288 x 504 px above the
 * bottom fit 36 columns by 21 rows of an 80 x 24 terminal.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/env.h"
#include "ilrl/flappy.h"

/* ---- the game ---------------------------------------------------------------- */

static void *game_alloc(void)
{
    return ilrl_flappy_alloc(ILRL_REWARD_SPARSE);
}

static void game_free(void *game)
{
    ilrl_flappy_free(game);
}

static void game_reset(void *game, unsigned long seed)
{
    ilrl_flappy_reset(game, seed);
}

static int game_step(void *game, int action, int scheme, double *reward)
{
    struct ilrl_flappy *flappy = game;
    flappy->scheme = scheme == ILRL_REWARD_SHAPED ? ILRL_REWARD_SHAPED : ILRL_REWARD_SPARSE;
    return ilrl_flappy_step(flappy, action, reward);
}

static void game_observe(const void *game, double *obs)
{
    ilrl_flappy_observe(&((const struct ilrl_flappy *)game)->state, obs);
}

static int game_score(const void *game)
{
    return ((const struct ilrl_flappy *)game)->state.score;
}

/* ---- the poor and strong pilots ------------------------------------------------- */

/* Lookahead state space: y in [-128, 384) covers every reachable y (a flap
 * needs y > -48, so the bird never rises above -48 - 45), vy in [-9, 10]. */
enum {
    LOOKAHEAD_FRAMES = 40,
    SEARCH_Y_LOWEST = -128,
    SEARCH_Y_SPAN = 512,
    SEARCH_VY_LOWEST = ILRL_FLAPPY_FLAP_VY,
    SEARCH_VY_SPAN = ILRL_FLAPPY_MAX_VY - ILRL_FLAPPY_FLAP_VY + 1
};

/* The heuristic flaps when the bird's top is more than this far below the
 * gap's top: its bottom is then within 16 px of the gap's bottom edge. */
enum { FLAP_BELOW_GAP_TOP = 60 };

/* The poor pilot flaps whenever the bird's top is below this y, so it
 * cruises between y = 5 and 60, always above the lowest gap top (100), and
 * hits the first upper pipe. */
enum { POOR_CEILING = 50 };

struct lookahead {
    uint32_t generation;  /* stamp of the current decision */
    uint32_t *dead;       /* [frame][y][vy]: == generation once proved dead */
};

static const size_t n_marks =
    (size_t)(LOOKAHEAD_FRAMES + 1) * SEARCH_Y_SPAN * SEARCH_VY_SPAN;

/* The gap the bird must fly through next: the pipe with the smallest x whose
 * right edge is still right of the bird's left edge. */
static int next_gap_top(const struct ilrl_flappy_state *state)
{
    int best = -1;
    for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++) {
        if (state->pipe_x[i] + ILRL_FLAPPY_PIPE_WIDTH <= ILRL_FLAPPY_BIRD_X)
            continue;
        if (best < 0 || state->pipe_x[i] < state->pipe_x[best])
            best = i;
    }
    return best < 0 ? ILRL_FLAPPY_BIRD_START_Y : state->pipe_gap_top[best];
}

static int heuristic_action(const struct ilrl_flappy_state *state)
{
    return state->bird_y > next_gap_top(state) + FLAP_BELOW_GAP_TOP ? ILRL_FLAPPY_FLAP
                                                                     : ILRL_FLAPPY_IDLE;
}

/* The dead-state stamp of (frame, y, vy), or NULL outside the table (such
 * states are searched without memory, which is slower but still exact). */
static uint32_t *dead_mark(struct lookahead *search, int frame,
                           const struct ilrl_flappy_state *state)
{
    int y = state->bird_y - SEARCH_Y_LOWEST;
    int vy = state->bird_vy - SEARCH_VY_LOWEST;
    if (frame < 0 || frame > LOOKAHEAD_FRAMES || y < 0 || y >= SEARCH_Y_SPAN || vy < 0
        || vy >= SEARCH_VY_SPAN)
        return NULL;
    return &search->dead[((size_t)frame * SEARCH_Y_SPAN + (size_t)y) * SEARCH_VY_SPAN
                         + (size_t)vy];
}

/* 1 if some action sequence from `state` (at lookahead frame `frame`)
 * survives until frame LOOKAHEAD_FRAMES.  Tries the heuristic's action first,
 * so the common case follows one path and returns. */
static int survives(struct lookahead *search, const struct ilrl_flappy_state *state, int frame)
{
    if (frame >= LOOKAHEAD_FRAMES)
        return 1;
    int first = heuristic_action(state);
    for (int k = 0; k < ILRL_FLAPPY_N_ACTIONS; k++) {
        struct ilrl_flappy_state next = *state;
        int action = k == 0 ? first : 1 - first;
        if (ilrl_flappy_state_step(&next, action, NULL))
            continue;
        uint32_t *mark = dead_mark(search, frame + 1, &next);
        if (mark != NULL && *mark == search->generation)
            continue;
        if (survives(search, &next, frame + 1))
            return 1;
        if (mark != NULL)
            *mark = search->generation;
    }
    return 0;
}

/* The heuristic's action unless the lookahead proves it fatal and the other
 * action is not; when both are fatal the heuristic's stands. */
static int strong_act(void *self, const void *game)
{
    struct lookahead *search = self;
    const struct ilrl_flappy_state *state = &((const struct ilrl_flappy *)game)->state;
    int first = heuristic_action(state);
    if (++search->generation == 0) {
        /* 2^32 decisions later the stamps would alias: start clean. */
        memset(search->dead, 0, sizeof(uint32_t) * n_marks);
        search->generation = 1;
    }
    for (int k = 0; k < ILRL_FLAPPY_N_ACTIONS; k++) {
        struct ilrl_flappy_state next = *state;
        int action = k == 0 ? first : 1 - first;
        if (!ilrl_flappy_state_step(&next, action, NULL) && survives(search, &next, 1))
            return action;
    }
    return first;
}

static void *strong_alloc(void)
{
    struct lookahead *search = calloc(1, sizeof *search);
    if (search == NULL)
        return NULL;
    search->dead = calloc(n_marks, sizeof(uint32_t));
    if (search->dead == NULL) {
        free(search);
        return NULL;
    }
    return search;
}

static void strong_free(void *self)
{
    struct lookahead *search = self;
    if (search == NULL)
        return;
    free(search->dead);
    free(search);
}

static int poor_act(void *self, const void *game)
{
    (void)self;
    return ((const struct ilrl_flappy *)game)->state.bird_y > POOR_CEILING ? ILRL_FLAPPY_FLAP
                                                                           : ILRL_FLAPPY_IDLE;
}

static const struct ilrl_env_controller poor = {.act = poor_act};
static const struct ilrl_env_controller strong = {
    .alloc = strong_alloc, .free = strong_free, .act = strong_act};

/* ---- the human pilot ----------------------------------------------------------- */

static int human_action(unsigned keys, long frame)
{
    (void)frame;
    return keys & ILRL_KEY_FLAP ? ILRL_FLAPPY_FLAP : ILRL_FLAPPY_IDLE;
}

/* ---- the picture ----------------------------------------------------------------- */

enum { CELL_WIDTH = 8, CELL_HEIGHT = 24 };
enum { COLUMNS = ILRL_FLAPPY_SCREEN_WIDTH / CELL_WIDTH, ROWS = 21 };

/* What one cell shows, sampled at the cell's centre pixel. */
enum cell { CELL_SKY, CELL_PIPE, CELL_BIRD, CELL_GROUND };

static enum cell cell_at(const struct ilrl_flappy_state *state, int row, int column)
{
    int px = column * CELL_WIDTH + CELL_WIDTH / 2;
    int py = row * CELL_HEIGHT + CELL_HEIGHT / 2;
    if (py >= ILRL_FLAPPY_GROUND_Y)
        return CELL_GROUND;
    if (px >= ILRL_FLAPPY_BIRD_X && px < ILRL_FLAPPY_BIRD_X + ILRL_FLAPPY_BIRD_WIDTH
        && py >= state->bird_y && py < state->bird_y + ILRL_FLAPPY_BIRD_HEIGHT)
        return CELL_BIRD;
    for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++) {
        int x = state->pipe_x[i];
        int gap_top = state->pipe_gap_top[i];
        if (px >= x && px < x + ILRL_FLAPPY_PIPE_WIDTH
            && (py < gap_top || py >= gap_top + ILRL_FLAPPY_PIPE_GAP))
            return CELL_PIPE;
    }
    return CELL_SKY;
}

/* ANSI colours: sky blue, pipes green, bird yellow, ground
 * yellow on red.  Pipes, bird and ground also have their own characters
 * (#, @, =) so a terminal without colours still shows the game; the bird
 * above the screen shows as ^ marks. */
static const char *const cell_style[] = {
    [CELL_SKY] = "\033[0;44m ", [CELL_PIPE] = "\033[0;32;42m#",
    [CELL_BIRD] = "\033[0;30;43m@", [CELL_GROUND] = "\033[0;33;41m="};

static void draw_row(FILE *out, const struct ilrl_flappy_state *state, int row)
{
    for (int column = 0; column < COLUMNS; column++) {
        int px = column * CELL_WIDTH + CELL_WIDTH / 2;
        int bird_above = row == 0 && state->bird_y + ILRL_FLAPPY_BIRD_HEIGHT <= 0
                         && px >= ILRL_FLAPPY_BIRD_X
                         && px < ILRL_FLAPPY_BIRD_X + ILRL_FLAPPY_BIRD_WIDTH;
        fputs(bird_above ? "\033[0;33;44m^" : cell_style[cell_at(state, row, column)], out);
    }
    fputs("\033[0m\033[K\r\n", out);
}

static void draw(const void *game, FILE *out)
{
    const struct ilrl_flappy_state *state = &((const struct ilrl_flappy *)game)->state;
    for (int row = 0; row < ROWS; row++)
        draw_row(out, state, row);
}

/* ---- extreme states (conformance suite) --------------------------------------------- */

static void set_extreme_state(void *game, size_t k)
{
    struct ilrl_flappy_state *state = &((struct ilrl_flappy *)game)->state;
    static const int bird_y[] = {-100000, 100000, -48, ILRL_FLAPPY_BIRD_MAX_Y};
    static const int pipe_x10[] = {-100000, 100000, -520, 2880};
    state->bird_y = bird_y[k % 4];
    state->bird_vy = k % 2 ? ILRL_FLAPPY_MAX_VY : ILRL_FLAPPY_FLAP_VY;
    for (int i = 0; i < ILRL_FLAPPY_N_PIPES; i++) {
        state->pipe_x10[i] = pipe_x10[(k + (size_t)i) % 4];
        state->pipe_x[i] = state->pipe_x10[i] / 10;
        state->pipe_gap_top[i] = k % 2 ? -1000 : 1000;
    }
}

static const char *const scheme_names[] = {"sparse", "shaped"};

const struct ilrl_env_type ilrl_flappy_env = {
    .name = "flappy-bird",
    .title = "Flappy Bird",
    .n_features = ILRL_FLAPPY_N_FEATURES,
    .feature_names = ilrl_flappy_feature_names,
    .n_actions = ILRL_FLAPPY_N_ACTIONS,
    .action_names = ilrl_flappy_action_names,
    .scheme_names = scheme_names,
    .n_schemes = 2,
    .time_limit = 0,
    .has_score = 1,
    .start_hint = "press space to start, q to quit",
    .keys_help = "space/up: flap   q: quit",
    .alloc = game_alloc,
    .free = game_free,
    .reset = game_reset,
    .step = game_step,
    .observe = game_observe,
    .score = game_score,
    .draw = draw,
    .human_action = human_action,
    .poor = &poor,
    .strong = &strong,
    .n_extreme_states = 8,
    .set_extreme_state = set_extreme_state,
};

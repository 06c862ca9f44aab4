/* cartpole_env.c -- CartPole-v1 (cartpole.c) behind the environment
 * interface (env.h): its picture, its key map and its own pilots.
 *
 * Pilots.  strong is a linear state-feedback controller: it pushes right
 * when K . (x, x_dot, theta, theta_dot) > 0, with K = (1, 1.5, 20, 3).  The
 * gains weigh the pole's angle most (an upright pole first), its rate
 * second (damping), and the cart's position and velocity a little, with the
 * same sign as the angle: to bring the cart back left the controller first
 * lets the pole lean left (the usual LQR sign pattern of the cart-pole).
 * Measured: 500 steps (the time limit) in each of 20 episodes of seeds 1..20
 * (tests/check_cartpole.c).  poor pushes the wrong way -- away from the side
 * the pole leans to (theta > 0 pushes left) -- so the pole falls in 7-10
 * steps; it is a deterministic function of the state, like strong, so
 * imitation has a definite target.
 *
 * The human pilot.  There is no "do nothing" in CartPole, so without a key
 * the cart is pushed left and right on alternate frames (no net force over
 * two frames); an arrow pushes that way for the frame it arrives in.  Held
 * arrows repeat at the terminal's key-repeat rate.
 *
 * The picture: the track from -2.4 to 2.4 m over 72 columns (15 columns per
 * metre), the pole 1 m long drawn over 8 rows (a row is about two columns
 * tall), the cart as [###] on the track.  Anything outside the track (or
 * not a number) is clamped to its edges, so no state can index outside the
 * row buffers.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/cartpole.h"
#include "ilrl/env.h"

/* ---- the game ---------------------------------------------------------------- */

static void *game_alloc(void)
{
    return ilrl_cartpole_alloc();
}

static void game_free(void *game)
{
    ilrl_cartpole_free(game);
}

static void game_reset(void *game, unsigned long seed)
{
    ilrl_cartpole_reset(game, seed);
}

static int game_step(void *game, int action, int scheme, double *reward)
{
    return ilrl_cartpole_step(game, action, scheme, reward);
}

static void game_observe(const void *game, double *obs)
{
    ilrl_cartpole_observe(&((const struct ilrl_cartpole *)game)->state, obs);
}

/* ---- pilots -------------------------------------------------------------------- */

static const double strong_gain[4] = {1.0, 1.5, 20.0, 3.0};

static int strong_act(void *self, const void *game)
{
    const struct ilrl_cartpole_state *s = &((const struct ilrl_cartpole *)game)->state;
    (void)self;
    double u = strong_gain[0] * s->x + strong_gain[1] * s->x_dot + strong_gain[2] * s->theta
               + strong_gain[3] * s->theta_dot;
    return u > 0 ? ILRL_CARTPOLE_RIGHT : ILRL_CARTPOLE_LEFT;
}

static int poor_act(void *self, const void *game)
{
    const struct ilrl_cartpole_state *s = &((const struct ilrl_cartpole *)game)->state;
    (void)self;
    return s->theta > 0 ? ILRL_CARTPOLE_LEFT : ILRL_CARTPOLE_RIGHT;
}

static const struct ilrl_env_controller poor = {.act = poor_act};
static const struct ilrl_env_controller strong = {.act = strong_act};

static int human_action(unsigned keys, long frame)
{
    int left = (keys & ILRL_KEY_LEFT) != 0, right = (keys & ILRL_KEY_RIGHT) != 0;
    if (left != right)
        return right ? ILRL_CARTPOLE_RIGHT : ILRL_CARTPOLE_LEFT;
    return frame % 2 ? ILRL_CARTPOLE_RIGHT : ILRL_CARTPOLE_LEFT;
}

/* ---- the picture ------------------------------------------------------------------ */

enum {
    TRACK_COLUMNS = 72,     /* -2.4 .. 2.4 m */
    MARGIN = 3,             /* columns left of the track (room for the cart) */
    WIDTH = TRACK_COLUMNS + 2 * MARGIN + 1,
    POLE_ROWS = 8,          /* the 1 m pole, upright */
    SKY_ROWS = POLE_ROWS + 1,
    CART_ROW = SKY_ROWS,
    ROWS = SKY_ROWS + 3     /* sky, cart, track, scale */
};

/* Clamps a finite or infinite or NaN value into [low, high] (NaN: low). */
static double clamp(double v, double low, double high)
{
    if (!(v >= low))
        return low;
    return v > high ? high : v;
}

static int column_of(double x)
{
    double scaled = clamp(x, -ILRL_CARTPOLE_X_THRESHOLD, ILRL_CARTPOLE_X_THRESHOLD);
    double fraction = (scaled + ILRL_CARTPOLE_X_THRESHOLD) / (2 * ILRL_CARTPOLE_X_THRESHOLD);
    return MARGIN + (int)lround(fraction * TRACK_COLUMNS);
}

static char pole_char(double theta)
{
    double t = fmod(clamp(theta, -1e6, 1e6), 2 * M_PI);
    if (t > M_PI)
        t -= 2 * M_PI;
    else if (t < -M_PI)
        t += 2 * M_PI;
    double lean = fabs(t) > M_PI / 2 ? -t : t;   /* hanging down: mirror */
    if (lean > 0.3)
        return '/';
    if (lean < -0.3)
        return '\\';
    return '|';
}

static void draw(const void *game, FILE *out)
{
    const struct ilrl_cartpole_state *s = &((const struct ilrl_cartpole *)game)->state;
    char rows[ROWS][WIDTH + 1];
    for (int r = 0; r < ROWS; r++) {
        memset(rows[r], ' ', WIDTH);
        rows[r][WIDTH] = '\0';
    }
    int cart = column_of(s->x);
    double theta = isfinite(s->theta) ? s->theta : 0.0;
    /* The pole from the pivot (top of the cart) outwards; rows below the
     * cart's row are not drawn (a pole hanging down shows as a stub). */
    for (int k = 1; k <= POLE_ROWS; k++) {
        double up = k * cos(theta), right = 2.0 * k * sin(theta);
        int row = CART_ROW - (int)lround(up);
        int column = cart + (int)lround(right);
        if (row >= 0 && row < CART_ROW && column >= 0 && column < WIDTH)
            rows[row][column] = pole_char(theta);
    }
    for (int c = cart - 2; c <= cart + 2; c++)
        rows[CART_ROW][c] = c == cart - 2 ? '[' : c == cart + 2 ? ']' : '#';
    memset(rows[CART_ROW + 1], '=', WIDTH);
    rows[CART_ROW + 1][MARGIN] = '|';
    rows[CART_ROW + 1][MARGIN + TRACK_COLUMNS] = '|';
    rows[CART_ROW + 2][MARGIN] = '-';
    rows[CART_ROW + 2][MARGIN + TRACK_COLUMNS / 2] = '0';
    rows[CART_ROW + 2][MARGIN + TRACK_COLUMNS] = '+';
    for (int r = 0; r < ROWS; r++)
        fprintf(out, "%s\033[0m\033[K\r\n", rows[r]);
    fprintf(out, "x %+9.3f m  x' %+9.3f m/s  theta %+8.2f deg  theta' %+9.3f rad/s"
            "\033[0m\033[K\r\n", clamp(s->x, -1e6, 1e6), clamp(s->x_dot, -1e6, 1e6),
            clamp(s->theta, -1e6, 1e6) * 180 / M_PI, clamp(s->theta_dot, -1e6, 1e6));
}

/* ---- extreme states (conformance suite) ---------------------------------------------- */

static void set_extreme_state(void *game, size_t k)
{
    static const double values[] = {0.0, 2.4, -2.4, 1e300, -1e300, M_PI, -M_PI / 2,
                                    INFINITY, -INFINITY, NAN};
    enum { N_VALUES = sizeof values / sizeof values[0] };
    struct ilrl_cartpole_state *s = &((struct ilrl_cartpole *)game)->state;
    s->x = values[k % N_VALUES];
    s->x_dot = values[(k + 3) % N_VALUES];
    s->theta = values[(k + 5) % N_VALUES];
    s->theta_dot = values[(k + 7) % N_VALUES];
    s->terminated = 0;
}

static const char *const scheme_names[] = {"default", "shaped"};

const struct ilrl_env_type ilrl_cartpole_env = {
    .name = "cartpole",
    .title = "CartPole-v1",
    .n_features = ILRL_CARTPOLE_N_FEATURES,
    .feature_names = "x,x_dot,theta,theta_dot",
    .n_actions = ILRL_CARTPOLE_N_ACTIONS,
    .action_names = "push_left,push_right",
    .scheme_names = scheme_names,
    .n_schemes = 2,
    .time_limit = ILRL_CARTPOLE_TIME_LIMIT,
    .has_score = 0,
    .start_hint = "press an arrow key to start, q to quit",
    .keys_help = "left/right arrows: push   q: quit",
    .alloc = game_alloc,
    .free = game_free,
    .reset = game_reset,
    .step = game_step,
    .observe = game_observe,
    .score = NULL,
    .draw = draw,
    .human_action = human_action,
    .poor = &poor,
    .strong = &strong,
    .n_extreme_states = 30,
    .set_extreme_state = set_extreme_state,
};

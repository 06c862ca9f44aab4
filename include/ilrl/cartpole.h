/* cartpole.h -- CartPole-v1 with Gymnasium 1.x's dynamics (docs/cartpole.md).
 *
 * A pole hinged on a cart that moves along a frictionless track; each step
 * pushes the cart left (action 0) or right (action 1) with 10 N.  The
 * physics is Gymnasium's CartPoleEnv.step(): gravity 9.8, cart mass 1.0,
 * pole mass 0.1, half pole length 0.5, force 10, tau 0.02 s, explicit
 * Euler, in the same operation order, in binary64 (ilrl_cartpole_state_step
 * documents the order).  The episode terminates when |x| > 2.4 or
 * |theta| > 12 * 2 * pi / 360 (strict inequalities, tested after the step);
 * CartPole-v1's TimeLimit truncates it after 500 steps (the interface's
 * time limit, env.h).  The observation is the state rounded to float32, as
 * Gymnasium returns np.array(state, dtype=np.float32), then widened to double
 * (exactly) for the demonstration file: x, x_dot, theta, theta_dot.
 *
 * Rewards: "default" is Gymnasium's +1 on every step, the terminating one
 * included; "shaped" is Gymnasium's sutton_barto_reward=True: 0 per step and
 * -1 on the terminating step, so returns are negative for CartPole too.
 *
 * Reset: the four state variables are uniform in [-0.05, 0.05), drawn in the
 * order x, x_dot, theta, theta_dot as -0.05 + 0.1 * u from the episode's own
 * gsl_rng_mt19937 seeded with the episode seed (as Flappy Bird's pipes are).
 * Gymnasium draws from numpy's PCG64 instead, so the same seed gives other
 * start states than gym.make("CartPole-v1").reset(seed=...): the dynamics
 * are Gymnasium's, the draws are not.
 *
 * Differences kept on purpose: stepping a terminated game is a no-op with
 * reward 0 (Gymnasium keeps integrating and warns); any action other than 1
 * pushes left (Gymnasium asserts the action is 0 or 1).
 *
 * The state is a plain value: a pilot may copy it and step the copy.
 * cos and sin are the C library's, which CPython's math.cos / math.sin call
 * (Gymnasium's step uses the math module).
 */
#ifndef ILRL_CARTPOLE_H
#define ILRL_CARTPOLE_H

#include <gsl/gsl_rng.h>

#define ILRL_CARTPOLE_N_FEATURES 4
#define ILRL_CARTPOLE_N_ACTIONS 2
#define ILRL_CARTPOLE_TIME_LIMIT 500   /* CartPole-v1's max_episode_steps */

/* Gymnasium's constants, spelled as its __init__ computes them. */
#define ILRL_CARTPOLE_GRAVITY 9.8
#define ILRL_CARTPOLE_MASSCART 1.0
#define ILRL_CARTPOLE_MASSPOLE 0.1
#define ILRL_CARTPOLE_LENGTH 0.5        /* half the pole's length */
#define ILRL_CARTPOLE_FORCE_MAG 10.0
#define ILRL_CARTPOLE_TAU 0.02
#define ILRL_CARTPOLE_X_THRESHOLD 2.4
#define ILRL_CARTPOLE_RESET_BOUND 0.05

enum ilrl_cartpole_action { ILRL_CARTPOLE_LEFT = 0, ILRL_CARTPOLE_RIGHT = 1 };
enum ilrl_cartpole_scheme { ILRL_CARTPOLE_REWARD_DEFAULT = 0, ILRL_CARTPOLE_REWARD_SHAPED = 1 };

struct ilrl_cartpole_state {
    double x;          /* cart position, m; terminates beyond +-2.4 */
    double x_dot;      /* cart velocity, m/s */
    double theta;      /* pole angle from upright, rad, positive leaning right;
                          terminates beyond +-12 degrees */
    double theta_dot;  /* pole angular velocity, rad/s */
    int terminated;    /* 1 once a step ended beyond a threshold */
};

struct ilrl_cartpole {
    struct ilrl_cartpole_state state;
    gsl_rng *rng;      /* reset draws; owned */
};

/* The angle threshold 12 * 2 * pi / 360 as Gymnasium computes it. */
double ilrl_cartpole_theta_threshold(void);

/* NULL on out of memory; the state is undefined until reset. */
struct ilrl_cartpole *ilrl_cartpole_alloc(void);
void ilrl_cartpole_free(struct ilrl_cartpole *game);

/* Seeds the game's generator with `seed` and draws the start state. */
void ilrl_cartpole_reset(struct ilrl_cartpole *game, unsigned long seed);

/* One Euler step of the physics on a bare state with `action` (1 right, any
 * other value left); sets and returns `terminated`.  A terminated state is
 * left alone (returns 1). */
int ilrl_cartpole_state_step(struct ilrl_cartpole_state *state, int action);

/* ilrl_cartpole_state_step plus the reward of `scheme`
 * (enum ilrl_cartpole_scheme); stepping a terminated game returns 1 with
 * reward 0.  *reward may be NULL. */
int ilrl_cartpole_step(struct ilrl_cartpole *game, int action, int scheme, double *reward);

/* The state rounded to float32 and widened back: x, x_dot, theta, theta_dot. */
void ilrl_cartpole_observe(const struct ilrl_cartpole_state *state,
                           double obs[ILRL_CARTPOLE_N_FEATURES]);

/* The environment (env.h; pilots and picture in src/cartpole_env.c). */
struct ilrl_env_type;
extern const struct ilrl_env_type ilrl_cartpole_env;

#endif /* ILRL_CARTPOLE_H */

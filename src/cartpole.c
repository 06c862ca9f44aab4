/* cartpole.c -- owns CartPole-v1's physics, termination, rewards, reset and
 * observation (see include/ilrl/cartpole.h, docs/cartpole.md).
 *
 * Bit-exactness with Gymnasium needs the same binary64 operations in the
 * same order and no fused multiply-adds: the pragmas below keep the
 * compiler from contracting a * b + c into one rounding (GCC's default
 * -ffp-contract=fast would, on a target with FMA instructions).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/cartpole.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

double ilrl_cartpole_theta_threshold(void)
{
    return 12 * 2 * M_PI / 360;   /* Python: ((12 * 2) * math.pi) / 360 */
}

struct ilrl_cartpole *ilrl_cartpole_alloc(void)
{
    struct ilrl_cartpole *game = calloc(1, sizeof *game);
    if (game == NULL)
        return NULL;
    game->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (game->rng == NULL) {
        free(game);
        return NULL;
    }
    return game;
}

void ilrl_cartpole_free(struct ilrl_cartpole *game)
{
    if (game == NULL)
        return;
    gsl_rng_free(game->rng);
    free(game);
}

/* numpy's uniform(low, high) is low + (high - low) * u; u from mt19937. */
static double draw(const gsl_rng *rng)
{
    const double low = -ILRL_CARTPOLE_RESET_BOUND, high = ILRL_CARTPOLE_RESET_BOUND;
    return low + (high - low) * gsl_rng_uniform(rng);
}

void ilrl_cartpole_reset(struct ilrl_cartpole *game, unsigned long seed)
{
    struct ilrl_cartpole_state *state = &game->state;
    gsl_rng_set(game->rng, seed);
    memset(state, 0, sizeof *state);
    state->x = draw(game->rng);
    state->x_dot = draw(game->rng);
    state->theta = draw(game->rng);
    state->theta_dot = draw(game->rng);
}

/* Gymnasium's step(), statement by statement (Python evaluates left to
 * right; ** 2 of a float is the correctly rounded square, i.e. v * v). */
int ilrl_cartpole_state_step(struct ilrl_cartpole_state *state, int action)
{
    const double gravity = ILRL_CARTPOLE_GRAVITY;
    const double masspole = ILRL_CARTPOLE_MASSPOLE;
    const double total_mass = ILRL_CARTPOLE_MASSPOLE + ILRL_CARTPOLE_MASSCART;
    const double length = ILRL_CARTPOLE_LENGTH;
    const double polemass_length = ILRL_CARTPOLE_MASSPOLE * ILRL_CARTPOLE_LENGTH;
    const double tau = ILRL_CARTPOLE_TAU;
    const double theta_threshold = ilrl_cartpole_theta_threshold();
    if (state->terminated)
        return 1;
    double x = state->x, x_dot = state->x_dot;
    double theta = state->theta, theta_dot = state->theta_dot;
    double force = action == ILRL_CARTPOLE_RIGHT ? ILRL_CARTPOLE_FORCE_MAG
                                                 : -ILRL_CARTPOLE_FORCE_MAG;
    double costheta = cos(theta);
    double sintheta = sin(theta);
    double temp = (force + polemass_length * (theta_dot * theta_dot) * sintheta) / total_mass;
    double thetaacc = (gravity * sintheta - costheta * temp)
                      / (length * (4.0 / 3.0 - masspole * (costheta * costheta) / total_mass));
    double xacc = temp - polemass_length * thetaacc * costheta / total_mass;
    x = x + tau * x_dot;
    x_dot = x_dot + tau * xacc;
    theta = theta + tau * theta_dot;
    theta_dot = theta_dot + tau * thetaacc;
    state->x = x;
    state->x_dot = x_dot;
    state->theta = theta;
    state->theta_dot = theta_dot;
    state->terminated = x < -ILRL_CARTPOLE_X_THRESHOLD || x > ILRL_CARTPOLE_X_THRESHOLD
                        || theta < -theta_threshold || theta > theta_threshold;
    return state->terminated;
}

int ilrl_cartpole_step(struct ilrl_cartpole *game, int action, int scheme, double *reward)
{
    double r = 0.0;
    int terminated = 1;
    if (!game->state.terminated) {
        terminated = ilrl_cartpole_state_step(&game->state, action);
        if (scheme == ILRL_CARTPOLE_REWARD_SHAPED)
            r = terminated ? -1.0 : 0.0;
        else
            r = 1.0;
    }
    if (reward != NULL)
        *reward = r;
    return terminated;
}

void ilrl_cartpole_observe(const struct ilrl_cartpole_state *state,
                           double obs[ILRL_CARTPOLE_N_FEATURES])
{
    obs[0] = (double)(float)state->x;
    obs[1] = (double)(float)state->x_dot;
    obs[2] = (double)(float)state->theta;
    obs[3] = (double)(float)state->theta_dot;
}

/* record.c -- owns the recording of a session as a demonstration (see
 * include/ilrl/record.h).  The session grows in per-step arrays while it is
 * played (its length is unknown until the last crash) and is copied into a
 * struct ilrl_demo at the end.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ilrl/error.h"
#include "ilrl/record.h"
#include "ilrl/terminal.h"

/* The session as it is played: growable per-step arrays and per-episode
 * summaries, copied into a struct ilrl_demo at the end (the number of steps
 * is unknown until the last crash). */
struct session {
    double *obs;
    int *action;
    double *reward;
    size_t n_steps, step_capacity;
    int *episode_length;
    unsigned char *terminated;
    int *score;
    size_t n_episodes;
};

static void session_free(struct session *session)
{
    free(session->obs);
    free(session->action);
    free(session->reward);
    free(session->episode_length);
    free(session->terminated);
    free(session->score);
}

static int session_reserve(struct session *session, size_t n_steps)
{
    if (n_steps <= session->step_capacity)
        return ILRL_OK;
    size_t capacity = session->step_capacity ? session->step_capacity : 1024;
    while (capacity < n_steps)
        capacity *= 2;
    double *obs = realloc(session->obs, capacity * ILRL_FLAPPY_N_FEATURES * sizeof *obs);
    if (obs != NULL)
        session->obs = obs;
    int *action = realloc(session->action, capacity * sizeof *action);
    if (action != NULL)
        session->action = action;
    double *reward = realloc(session->reward, capacity * sizeof *reward);
    if (reward != NULL)
        session->reward = reward;
    if (obs == NULL || action == NULL || reward == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory recording step %zu", n_steps);
    session->step_capacity = capacity;
    return ILRL_OK;
}

static int session_start(struct session *session, size_t n_episodes)
{
    memset(session, 0, sizeof *session);
    session->episode_length = calloc(n_episodes, sizeof *session->episode_length);
    session->terminated = calloc(n_episodes, sizeof *session->terminated);
    session->score = calloc(n_episodes, sizeof *session->score);
    if (session->episode_length == NULL || session->terminated == NULL
        || session->score == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for %zu episodes", n_episodes);
    return ILRL_OK;
}

static void show_frame(const struct ilrl_flappy *game, size_t episode, size_t n_episodes)
{
    char status[128];
    snprintf(status, sizeof status, "score %d   episode %zu/%zu   frame %ld",
             game->state.score, episode + 1, n_episodes, game->state.steps);
    ilrl_terminal_draw(&game->state, status);
}

/* A human gets a moment to put a finger on the key: the episode starts at
 * the first key press (not recorded), q quits before it starts.  Returns 1
 * to play, 0 to quit. */
static int wait_for_start(const struct ilrl_flappy *game, size_t e, size_t n_episodes)
{
    char status[128];
    struct ilrl_frame_clock clock;
    snprintf(status, sizeof status, "episode %zu/%zu: press space to start, q to quit",
             e + 1, n_episodes);
    ilrl_terminal_draw(&game->state, status);
    ilrl_frame_clock_start(&clock, 30);
    for (;;) {
        enum ilrl_key key = ilrl_terminal_poll_keys();
        if (key != ILRL_KEY_NONE)
            return key == ILRL_KEY_FLAP;
        ilrl_frame_clock_wait(&clock);
    }
}

/* Plays episode e into the session.  Sets *quit when the pilot stopped the
 * session (what was played so far is kept, truncated). */
static int play_episode(struct ilrl_pilot *pilot, const struct ilrl_record_options *options,
                        struct ilrl_flappy *game, struct session *session, size_t e,
                        int *quit)
{
    struct ilrl_frame_clock clock;
    int shown = options->render || ilrl_pilot_is_human(pilot);
    int crashed = 0;
    long length = 0;
    unsigned long seed = ilrl_pilot_episode_seed(pilot, options->seed, e);
    ilrl_flappy_reset(game, seed);
    ilrl_pilot_episode_start(pilot, seed);
    if (ilrl_pilot_is_human(pilot) && !wait_for_start(game, e, options->n_episodes)) {
        *quit = 1;
        return ILRL_OK;
    }
    if (shown) {
        ilrl_frame_clock_start(&clock, options->fps);
        show_frame(game, e, options->n_episodes);
    }
    while (length < options->max_steps && !crashed) {
        size_t t = session->n_steps;
        int status = session_reserve(session, t + 1);
        if (status != ILRL_OK)
            return status;
        if (shown)
            ilrl_frame_clock_wait(&clock);
        int action = ilrl_pilot_act(pilot, game);
        if (action < 0) {
            *quit = 1;
            break;
        }
        ilrl_flappy_observe(&game->state, &session->obs[t * ILRL_FLAPPY_N_FEATURES]);
        session->action[t] = action;
        crashed = ilrl_flappy_step(game, action, &session->reward[t]);
        session->n_steps++;
        length++;
        if (shown)
            show_frame(game, e, options->n_episodes);
    }
    if (length > 0) {
        session->episode_length[session->n_episodes] = (int)length;
        session->terminated[session->n_episodes] = (unsigned char)crashed;
        session->score[session->n_episodes] = game->state.score;
        session->n_episodes++;
        if (options->on_episode != NULL)
            options->on_episode(options->on_episode_ctx, e, length, game->state.score, crashed);
    }
    return ILRL_OK;
}

static int check_options(const struct ilrl_record_options *options, int shown)
{
    if (options->n_episodes < 1)
        return ilrl_error(ILRL_EUSAGE, "at least one episode is needed (got %zu)",
                          options->n_episodes);
    if (options->max_steps < 1 || options->max_steps > INT32_MAX)
        return ilrl_error(ILRL_EUSAGE, "max steps must be in [1, %ld] (got %ld)",
                          (long)INT32_MAX, options->max_steps);
    if (shown && !(options->fps > 0 && options->fps <= 1000))
        return ilrl_error(ILRL_EUSAGE, "frame rate must be in (0, 1000] fps (got %g)",
                          options->fps);
    return ILRL_OK;
}

/* Copies the session into a new demonstration with its metadata. */
static int session_to_demo(const struct session *session, const struct ilrl_pilot *pilot,
                           const struct ilrl_record_options *options, struct ilrl_demo **out)
{
    char title[160];
    struct ilrl_demo *demo = ilrl_demo_alloc(session->n_steps, ILRL_FLAPPY_N_FEATURES,
                                             session->n_episodes, ILRL_FLAPPY_N_ACTIONS);
    if (demo == NULL)
        return ILRL_EFAILED;
    memcpy(demo->obs, session->obs,
           session->n_steps * ILRL_FLAPPY_N_FEATURES * sizeof *demo->obs);
    memcpy(demo->action, session->action, session->n_steps * sizeof *demo->action);
    memcpy(demo->reward, session->reward, session->n_steps * sizeof *demo->reward);
    int64_t start = 0;
    for (size_t e = 0; e < session->n_episodes; e++) {
        demo->episode_start[e] = start;
        demo->episode_length[e] = session->episode_length[e];
        demo->terminated[e] = session->terminated[e];
        demo->score[e] = session->score[e];
        start += session->episode_length[e];
    }
    demo->seed = (long)options->seed;
    snprintf(title, sizeof title, "Flappy Bird demonstration (pilot %.100s, %zu episodes)",
             ilrl_pilot_name(pilot), session->n_episodes);
    int status = ilrl_demo_set_string(&demo->env, "flappy-bird");
    if (status == ILRL_OK)
        status = ilrl_demo_set_string(&demo->pilot, ilrl_pilot_name(pilot));
    if (status == ILRL_OK)
        status = ilrl_demo_set_string(&demo->reward_scheme,
                                      ilrl_reward_scheme_name(options->scheme));
    if (status == ILRL_OK)
        status = ilrl_demo_set_string(&demo->feature_names, ilrl_flappy_feature_names);
    if (status == ILRL_OK)
        status = ilrl_demo_set_string(&demo->action_names, ilrl_flappy_action_names);
    if (status == ILRL_OK)
        status = ilrl_demo_set_string(&demo->title, title);
    if (status == ILRL_OK)
        status = ilrl_demo_validate(demo, "recorded session");
    if (status != ILRL_OK) {
        ilrl_demo_free(demo);
        return status == ILRL_EINPUT ? ILRL_EFAILED : status;
    }
    *out = demo;
    return ILRL_OK;
}

static int open_terminal(struct ilrl_pilot *pilot, const struct ilrl_record_options *options)
{
    FILE *screen = options->render_to != NULL ? options->render_to : stdout;
    if (ilrl_pilot_is_human(pilot))
        return ilrl_terminal_open(screen, STDIN_FILENO);
    if (options->render)
        return ilrl_terminal_open(screen, -1);
    return ILRL_OK;
}

int ilrl_record_session(struct ilrl_pilot *pilot, const struct ilrl_record_options *options,
                        struct ilrl_demo **out)
{
    struct session session;
    int quit = 0;
    *out = NULL;
    if (pilot == NULL || options == NULL)
        return ilrl_error(ILRL_EUSAGE, "no pilot or no recording options");
    int shown = options->render || ilrl_pilot_is_human(pilot);
    int status = check_options(options, shown);
    if (status != ILRL_OK)
        return status;
    struct ilrl_flappy *game = ilrl_flappy_alloc(options->scheme);
    if (game == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for the game");
    status = session_start(&session, options->n_episodes);
    if (status == ILRL_OK)
        status = open_terminal(pilot, options);
    for (size_t e = 0; status == ILRL_OK && e < options->n_episodes && !quit; e++)
        status = play_episode(pilot, options, game, &session, e, &quit);
    ilrl_terminal_close();
    if (status == ILRL_OK && session.n_steps == 0)
        status = ilrl_error(ILRL_EUSAGE, "nothing was played: the session has no steps");
    if (status == ILRL_OK)
        status = session_to_demo(&session, pilot, options, out);
    session_free(&session);
    ilrl_flappy_free(game);
    return status;
}

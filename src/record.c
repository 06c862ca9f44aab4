/* record.c -- owns the recording of a session as a demonstration (see
 * include/ilrl/record.h).  The session grows in per-step arrays while it is
 * played (its length is unknown until the last crash) and is copied into a
 * struct ilrl_demo at the end.  It sees the game only through env.h.
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
    size_t n_features;        /* D of the environment */
    double *obs;
    int *action;
    double *reward;
    size_t n_steps, step_capacity;
    int *episode_length;
    unsigned char *terminated;
    int *score;
    double *final_obs;        /* per episode: the observation after its last
                               * action (docs/value-objectives.md) */
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
    free(session->final_obs);
}

static int session_reserve(struct session *session, size_t n_steps)
{
    if (n_steps <= session->step_capacity)
        return ILRL_OK;
    size_t capacity = session->step_capacity ? session->step_capacity : 1024;
    while (capacity < n_steps)
        capacity *= 2;
    double *obs = realloc(session->obs, capacity * session->n_features * sizeof *obs);
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

static int session_start(struct session *session, size_t n_episodes, size_t n_features)
{
    memset(session, 0, sizeof *session);
    session->n_features = n_features;
    session->episode_length = calloc(n_episodes, sizeof *session->episode_length);
    session->terminated = calloc(n_episodes, sizeof *session->terminated);
    session->score = calloc(n_episodes, sizeof *session->score);
    session->final_obs = calloc(n_episodes * n_features, sizeof *session->final_obs);
    if (session->episode_length == NULL || session->terminated == NULL
        || session->score == NULL || session->final_obs == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for %zu episodes", n_episodes);
    return ILRL_OK;
}

static void show_frame(const struct ilrl_env *env, size_t episode, size_t n_episodes)
{
    char status[128];
    if (env->type->has_score)
        snprintf(status, sizeof status, "score %d   episode %zu/%zu   frame %ld",
                 ilrl_env_score(env), episode + 1, n_episodes, env->steps);
    else
        snprintf(status, sizeof status, "episode %zu/%zu   frame %ld", episode + 1,
                 n_episodes, env->steps);
    ilrl_terminal_draw(env, status);
}

/* A human gets a moment to put a finger on the key: the episode starts at
 * the first key press (not recorded), q quits before it starts.  Returns 1
 * to play, 0 to quit. */
static int wait_for_start(const struct ilrl_env *env, size_t e, size_t n_episodes)
{
    char status[128];
    struct ilrl_frame_clock clock;
    snprintf(status, sizeof status, "episode %zu/%zu: %s", e + 1, n_episodes,
             env->type->start_hint);
    ilrl_terminal_draw(env, status);
    ilrl_frame_clock_start(&clock, 30);
    for (;;) {
        unsigned keys = ilrl_terminal_poll_keys();
        if (keys != ILRL_KEY_NONE)
            return !(keys & ILRL_KEY_QUIT);
        ilrl_frame_clock_wait(&clock);
    }
}

/* Plays episode e into the session.  Sets *quit when the pilot stopped the
 * session (what was played so far is kept, truncated).  The episode ends
 * when the game terminates, at the environment's time limit, or after
 * options->max_steps steps, whichever comes first. */
static int play_episode(struct ilrl_pilot *pilot, const struct ilrl_record_options *options,
                        struct ilrl_env *env, struct session *session, size_t e,
                        int *quit)
{
    struct ilrl_frame_clock clock;
    int shown = options->render || ilrl_pilot_is_human(pilot);
    int over = 0;
    long length = 0;
    size_t d = env->type->n_features;
    unsigned long seed = ilrl_pilot_episode_seed(pilot, options->seed, e);
    ilrl_env_reset(env, seed);
    ilrl_pilot_episode_start(pilot, seed);
    if (ilrl_pilot_is_human(pilot) && !wait_for_start(env, e, options->n_episodes)) {
        *quit = 1;
        return ILRL_OK;
    }
    if (shown) {
        ilrl_frame_clock_start(&clock, options->fps);
        show_frame(env, e, options->n_episodes);
    }
    while (length < options->max_steps && !over) {
        size_t t = session->n_steps;
        int status = session_reserve(session, t + 1);
        if (status != ILRL_OK)
            return status;
        if (shown)
            ilrl_frame_clock_wait(&clock);
        int action = ilrl_pilot_act(pilot, env);
        if (action < 0) {
            *quit = 1;
            break;
        }
        if (action >= env->type->n_actions)
            return ilrl_error(ILRL_EFAILED, "pilot '%s' chose action %d, outside [0, %d)",
                              ilrl_pilot_name(pilot), action, env->type->n_actions);
        ilrl_env_observe(env, &session->obs[t * d]);
        session->action[t] = action;
        over = ilrl_env_step(env, action, &session->reward[t], NULL, NULL);
        session->n_steps++;
        length++;
        if (shown)
            show_frame(env, e, options->n_episodes);
    }
    if (length > 0) {
        int score = ilrl_env_score(env);
        session->episode_length[session->n_episodes] = (int)length;
        session->terminated[session->n_episodes] = (unsigned char)env->terminated;
        session->score[session->n_episodes] = score;
        /* The state the last action led to: what a value target bootstraps
         * from when the episode was truncated. */
        ilrl_env_observe(env, &session->final_obs[session->n_episodes * d]);
        session->n_episodes++;
        if (options->on_episode != NULL)
            options->on_episode(options->on_episode_ctx, e, length, score, env->terminated);
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
                           const struct ilrl_env_type *env,
                           const struct ilrl_record_options *options, struct ilrl_demo **out)
{
    char title[160];
    struct ilrl_demo *demo = ilrl_demo_alloc(session->n_steps, env->n_features,
                                             session->n_episodes, env->n_actions);
    if (demo == NULL)
        return ILRL_EFAILED;
    memcpy(demo->obs, session->obs,
           session->n_steps * env->n_features * sizeof *demo->obs);
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
    if (ilrl_demo_add_final_obs(demo) != ILRL_OK) {
        ilrl_demo_free(demo);
        return ILRL_EFAILED;
    }
    memcpy(demo->final_obs, session->final_obs,
           session->n_episodes * env->n_features * sizeof *demo->final_obs);
    if (!env->has_score) {
        free(demo->score);
        demo->score = NULL;
    }
    demo->seed = (long)options->seed;
    snprintf(title, sizeof title, "%s demonstration (pilot %.100s, %zu episodes)",
             env->title, ilrl_pilot_name(pilot), session->n_episodes);
    int status = ilrl_demo_set_string(&demo->env, env->name);
    if (status == ILRL_OK)
        status = ilrl_demo_set_string(&demo->pilot, ilrl_pilot_name(pilot));
    if (status == ILRL_OK)
        status = ilrl_demo_set_string(&demo->reward_scheme,
                                      ilrl_env_scheme_name(env, options->scheme));
    if (status == ILRL_OK)
        status = ilrl_demo_set_string(&demo->feature_names, env->feature_names);
    if (status == ILRL_OK)
        status = ilrl_demo_set_string(&demo->action_names, env->action_names);
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

/* The environment of the session: the options', else the pilot's, else the
 * default; a pilot of another environment is refused. */
static int session_env(const struct ilrl_pilot *pilot, const struct ilrl_record_options *options,
                       const struct ilrl_env_type **env)
{
    const struct ilrl_env_type *own = ilrl_pilot_env(pilot);
    *env = options->env != NULL ? options->env : own != NULL ? own : ilrl_env_default();
    if (own != NULL && own != *env)
        return ilrl_error(ILRL_EUSAGE, "pilot '%s' plays %s, not %s", ilrl_pilot_name(pilot),
                          own->name, (*env)->name);
    if (options->scheme < 0 || options->scheme >= (*env)->n_schemes)
        return ilrl_error(ILRL_EUSAGE, "reward scheme %d is not one of %s's (%s)",
                          options->scheme, (*env)->name, ilrl_env_scheme_list(*env));
    return ILRL_OK;
}

int ilrl_record_session(struct ilrl_pilot *pilot, const struct ilrl_record_options *options,
                        struct ilrl_demo **out)
{
    struct session session;
    const struct ilrl_env_type *type = NULL;
    int quit = 0;
    *out = NULL;
    if (pilot == NULL || options == NULL)
        return ilrl_error(ILRL_EUSAGE, "no pilot or no recording options");
    int shown = options->render || ilrl_pilot_is_human(pilot);
    int status = check_options(options, shown);
    if (status == ILRL_OK)
        status = session_env(pilot, options, &type);
    if (status != ILRL_OK)
        return status;
    struct ilrl_env *env = ilrl_env_alloc(type, options->scheme);
    if (env == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for the game");
    status = session_start(&session, options->n_episodes, type->n_features);
    if (status == ILRL_OK)
        status = open_terminal(pilot, options);
    for (size_t e = 0; status == ILRL_OK && e < options->n_episodes && !quit; e++)
        status = play_episode(pilot, options, env, &session, e, &quit);
    ilrl_terminal_close();
    if (status == ILRL_OK && session.n_steps == 0)
        status = ilrl_error(ILRL_EUSAGE, "nothing was played: the session has no steps");
    if (status == ILRL_OK)
        status = session_to_demo(&session, pilot, type, options, out);
    session_free(&session);
    ilrl_env_free(env);
    return status;
}

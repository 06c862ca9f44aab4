/* pilot.c -- owns the pilots (who chooses each frame's action) and the
 * recording of a session as a demonstration (see include/ilrl/pilot.h).
 *
 * The strong pilot is a lookahead controller.  A heuristic proposes an
 * action (keep the bird's bottom above the next gap's bottom edge); a
 * depth-first search over the reachable (frame, y, vy) states of the next
 * LOOKAHEAD_FRAMES frames vetoes the proposal when no continuation survives
 * that long.  The future of a state depends only on (frame offset, y, vy) --
 * the pipes move on a fixed schedule and rotation and score never change the
 * physics -- so a state that failed once is marked dead and never searched
 * again: the search visits at most 40 x 512 x 20 states, and usually
 * just the heuristic's own path of 40.  15000 decisions take 0.1 s.  40 frames are 160 px, more than a pipe spacing (144-165 px),
 * and less than the 76 frames a respawned pipe (whose gap a lookahead copy
 * cannot know) needs to reach the bird.
 *
 * The network pilot (network:LANDSCAPE.nc:I,J) owns a network, the point's
 * theta and a rollout workspace; its actions come from ilrl_rollout_act and
 * its episodes are seeded with ilrl_rollout_seed, the two things that make
 * ilrl_rollout_point's episodes what they are, so a recording replays them.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "ilrl/error.h"
#include "ilrl/landscape_io.h"
#include "ilrl/mlp.h"
#include "ilrl/pilot.h"
#include "ilrl/plane.h"
#include "ilrl/rollout.h"
#include "ilrl/terminal.h"

enum pilot_kind {
    PILOT_POOR, PILOT_STRONG, PILOT_NOISY, PILOT_RANDOM, PILOT_HUMAN, PILOT_KEYS, PILOT_NETWORK
};

/* SPEC §11's defaults, for a landscape made without --objective return. */
enum { NETWORK_DEFAULT_EPISODES = 8, NETWORK_DEFAULT_MAX_STEPS = 1000 };

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

struct ilrl_pilot {
    enum pilot_kind kind;
    char *name;              /* canonical spec, owned */
    double epsilon;          /* noisy: probability of a random action */
    gsl_rng *rng;            /* noisy, random: the pilot's own choices */
    struct lookahead search; /* strong, noisy */
    long *flap_frames;       /* keys: sorted session frame indices */
    size_t n_flap_frames;
    size_t next_flap;        /* keys: first entry not yet reached */
    long frame;              /* calls of ilrl_pilot_act so far */
    struct ilrl_mlp *mlp;    /* network: the landscape's network */
    double *theta;           /* network: the point's parameters */
    struct ilrl_rollout_work *rollout;   /* network: sampler and forward scratch */
    struct ilrl_pilot_network network;   /* network: replay settings */
};

/* ---- the strong controller ------------------------------------------------ */

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
static int strong_action(struct lookahead *search, const struct ilrl_flappy_state *state)
{
    int first = heuristic_action(state);
    if (++search->generation == 0) {
        /* 2^32 decisions later the stamps would alias: start clean. */
        memset(search->dead, 0, sizeof(uint32_t) * (LOOKAHEAD_FRAMES + 1) * SEARCH_Y_SPAN
                                    * SEARCH_VY_SPAN);
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

/* ---- parsing ---------------------------------------------------------------- */

static int set_name(struct ilrl_pilot *pilot, const char *name)
{
    pilot->name = malloc(strlen(name) + 1);
    if (pilot->name == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory naming the pilot");
    strcpy(pilot->name, name);
    return ILRL_OK;
}

/* "noisy:EPS": EPS a finite number in [0, 1]; the canonical name prints
 * the shortest decimal that reads back as the same double. */
static int parse_noisy(struct ilrl_pilot *pilot, const char *spec, const char *value)
{
    char *end;
    char name[64];
    double epsilon = strtod(value, &end);
    if (*value == '\0' || *end != '\0' || !isfinite(epsilon) || epsilon < 0 || epsilon > 1)
        return ilrl_error(ILRL_EUSAGE,
                          "pilot '%s': EPS must be a number in [0, 1] (noisy:0.01)", spec);
    pilot->epsilon = epsilon;
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(name, sizeof name, "noisy:%.*g", digits, epsilon);
        if (strtod(name + 6, NULL) == epsilon)
            break;
    }
    return set_name(pilot, name);
}

static int compare_frames(const void *a, const void *b)
{
    long fa = *(const long *)a, fb = *(const long *)b;
    return (fa > fb) - (fa < fb);
}

/* One line of a keys file: blank or '#' comment (returns 0), or a frame
 * index >= 0 (returns 1, *frame set), or garbage (returns -1). */
static int parse_keys_line(const char *line, long *frame)
{
    char *end;
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line == '\0' || *line == '\n' || *line == '\r' || *line == '#')
        return 0;
    if (*line < '0' || *line > '9')
        return -1;
    *frame = strtol(line, &end, 10);
    if (*frame < 0 || *frame == LONG_MAX)
        return -1;
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    return *end == '\0' ? 1 : -1;
}

static int append_frame(struct ilrl_pilot *pilot, size_t *capacity, long frame)
{
    if (pilot->n_flap_frames == *capacity) {
        size_t grown = *capacity ? 2 * *capacity : 64;
        long *frames = realloc(pilot->flap_frames, grown * sizeof *frames);
        if (frames == NULL)
            return ilrl_error(ILRL_EFAILED, "out of memory reading a keys file");
        pilot->flap_frames = frames;
        *capacity = grown;
    }
    pilot->flap_frames[pilot->n_flap_frames++] = frame;
    return ILRL_OK;
}

/* "keys:FILE": one flap frame index per line (see pilot.h). */
static int parse_keys(struct ilrl_pilot *pilot, const char *spec, const char *path)
{
    char line[256];
    size_t capacity = 0;
    long line_number = 0;
    int status = ILRL_OK;
    if (*path == '\0')
        return ilrl_error(ILRL_EUSAGE, "pilot '%s': no keys file named (keys:FILE)", spec);
    FILE *file = fopen(path, "r");
    if (file == NULL)
        return ilrl_error(ILRL_EUSAGE, "pilot '%s': cannot open keys file '%s': %s", spec, path,
                          strerror(errno));
    while (status == ILRL_OK && fgets(line, sizeof line, file) != NULL) {
        long frame;
        line_number++;
        size_t length = strlen(line);
        int kind = (length == sizeof line - 1 && line[length - 1] != '\n' && !feof(file))
                       ? -1 : parse_keys_line(line, &frame);
        if (kind < 0) {
            line[strcspn(line, "\r\n")] = '\0';
            status = ilrl_error(ILRL_EUSAGE,
                                "%s:%ld: expected one frame index >= 0 per line, got '%.40s'",
                                path, line_number, line);
        }
        else if (kind > 0)
            status = append_frame(pilot, &capacity, frame);
    }
    if (status == ILRL_OK && ferror(file))
        status = ilrl_error(ILRL_EUSAGE, "%s: read error after line %ld", path, line_number);
    fclose(file);
    if (status != ILRL_OK)
        return status;
    qsort(pilot->flap_frames, pilot->n_flap_frames, sizeof(long), compare_frames);
    return set_name(pilot, spec);
}

/* ---- the network pilot ------------------------------------------------------- */

/* "I,J": two decimal indices >= 0, nothing else.  0 on success. */
static int parse_indices(const char *text, size_t *i, size_t *j)
{
    size_t *index[2] = {i, j};
    for (int k = 0; k < 2; k++) {
        char *end;
        if (*text < '0' || *text > '9')
            return -1;
        errno = 0;
        unsigned long long value = strtoull(text, &end, 10);
        if (errno == ERANGE || value > SIZE_MAX || *end != (k == 0 ? ',' : '\0'))
            return -1;
        *index[k] = (size_t)value;
        text = end + 1;
    }
    return 0;
}

/* The replay settings from the file's attributes (see pilot.h). */
static int network_settings(struct ilrl_pilot_network *network, const char *path,
                            const struct ilrl_landscape_meta *meta)
{
    if (meta->init_seed < 0 || meta->init_seed > 4294967295L)
        return ilrl_error(ILRL_EINPUT, "%s: init_seed = %ld is outside [0, 4294967295]",
                          path, meta->init_seed);
    network->run_seed = (unsigned long)meta->init_seed;
    network->gamma = meta->gamma;
    if (!isfinite(network->gamma))
        return ilrl_error(ILRL_EINPUT, "%s: gamma is not a finite number", path);
    network->scheme = ILRL_REWARD_SPARSE;
    if (meta->reward_scheme[0] != '\0'
        && ilrl_reward_scheme_parse(meta->reward_scheme, &network->scheme) != ILRL_OK)
        return ilrl_error(ILRL_EINPUT, "%s: reward_scheme '%s' is not sparse or shaped",
                          path, meta->reward_scheme);
    network->from_file = strcmp(meta->objective, "return") == 0;
    if (!network->from_file) {
        network->n_episodes = NETWORK_DEFAULT_EPISODES;
        network->max_steps = NETWORK_DEFAULT_MAX_STEPS;
        network->policy = ILRL_ROLLOUT_GREEDY;
        return ILRL_OK;
    }
    if (meta->rollouts < 1)
        return ilrl_error(ILRL_EINPUT, "%s: rollouts = %ld (need >= 1)", path, meta->rollouts);
    if (meta->rollout_steps < 1 || meta->rollout_steps > INT32_MAX)
        return ilrl_error(ILRL_EINPUT, "%s: rollout_steps = %ld is outside [1, %ld]", path,
                          meta->rollout_steps, (long)INT32_MAX);
    if (ilrl_rollout_policy_parse(meta->rollout_policy, &network->policy) != ILRL_OK)
        return ilrl_error(ILRL_EINPUT, "%s: rollout_policy '%s' is not greedy or sample",
                          path, meta->rollout_policy);
    network->n_episodes = (size_t)meta->rollouts;
    network->max_steps = meta->rollout_steps;
    return ILRL_OK;
}

/* The file's network (layer_sizes, activation), which must play Flappy Bird
 * and match the file's parameter count; then its rollout workspace. */
static int network_build(struct ilrl_pilot *pilot, const char *path,
                         const struct ilrl_landscape *landscape)
{
    const struct ilrl_landscape_meta *meta = &landscape->meta;
    size_t n = meta->n_layer_sizes;
    enum ilrl_activation activation;
    if (n < 2 || meta->layer_sizes[0] != ILRL_FLAPPY_N_FEATURES
        || meta->layer_sizes[n - 1] != ILRL_FLAPPY_N_ACTIONS)
        return ilrl_error(ILRL_EINPUT, "%s: layer_sizes is not a Flappy Bird network "
                          "(%d inputs, %d outputs); the landscape was not made from a "
                          "flappy-bird demonstration", path, ILRL_FLAPPY_N_FEATURES,
                          ILRL_FLAPPY_N_ACTIONS);
    if (ilrl_activation_parse(meta->activation, &activation) != ILRL_OK)
        return ilrl_error(ILRL_EINPUT, "%s: activation '%s' is not tanh or relu", path,
                          meta->activation);
    size_t *sizes = malloc(n * sizeof *sizes);
    if (sizes == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for the network");
    for (size_t k = 0; k < n; k++)
        sizes[k] = meta->layer_sizes[k] > 0 ? (size_t)meta->layer_sizes[k] : 0;
    pilot->mlp = ilrl_mlp_alloc(sizes, n, activation);
    free(sizes);
    if (pilot->mlp == NULL) {
        char reason[512];
        snprintf(reason, sizeof reason, "%s", ilrl_error_message());
        return ilrl_error(ILRL_EINPUT, "%s: %s", path, reason);
    }
    if (pilot->mlp->n_params != landscape->n_params)
        return ilrl_error(ILRL_EINPUT, "%s: layer_sizes make %zu parameters but the param "
                          "dimension is %zu", path, pilot->mlp->n_params,
                          landscape->n_params);
    pilot->rollout = ilrl_rollout_work_alloc(pilot->mlp, pilot->network.scheme);
    pilot->theta = malloc(landscape->n_params * sizeof *pilot->theta);
    if (pilot->rollout == NULL || pilot->theta == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for the network pilot");
    return ILRL_OK;
}

/* "network:LANDSCAPE.nc:I,J" (see pilot.h). */
static int parse_network(struct ilrl_pilot *pilot, const char *spec, const char *value)
{
    struct ilrl_pilot_network *network = &pilot->network;
    const char *colon = strrchr(value, ':');
    if (colon == NULL || colon == value || parse_indices(colon + 1, &network->i, &network->j))
        return ilrl_error(ILRL_EUSAGE, "pilot '%s': expected network:LANDSCAPE.nc:I,J "
                          "with grid indices I, J >= 0", spec);
    char *path = malloc((size_t)(colon - value) + 1);
    if (path == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory naming the pilot");
    memcpy(path, value, (size_t)(colon - value));
    path[colon - value] = '\0';

    struct ilrl_landscape *landscape = NULL;
    int status = ilrl_landscape_read(path, &landscape);
    if (status == ILRL_OK && network->i >= landscape->nx)
        status = ilrl_error(ILRL_EUSAGE, "pilot '%s': I = %zu is outside the grid's x "
                            "indices [0, %zu)", spec, network->i, landscape->nx);
    if (status == ILRL_OK && network->j >= landscape->ny)
        status = ilrl_error(ILRL_EUSAGE, "pilot '%s': J = %zu is outside the grid's y "
                            "indices [0, %zu)", spec, network->j, landscape->ny);
    if (status == ILRL_OK)
        status = network_settings(network, path, &landscape->meta);
    if (status == ILRL_OK)
        status = network_build(pilot, path, landscape);
    if (status == ILRL_OK) {
        network->point = network->j * landscape->nx + network->i;
        network->x = landscape->x[network->i];
        network->y = landscape->y[network->j];
        ilrl_plane_point(landscape->n_params, landscape->theta0, landscape->direction_x,
                         landscape->direction_y, network->x, network->y, pilot->theta);
        status = set_name(pilot, spec);
    }
    ilrl_landscape_free(landscape);
    free(path);
    return status;
}

const struct ilrl_pilot_network *ilrl_pilot_network(const struct ilrl_pilot *pilot)
{
    return pilot != NULL && pilot->kind == PILOT_NETWORK ? &pilot->network : NULL;
}

static int parse_kind(struct ilrl_pilot *pilot, const char *spec)
{
    static const struct { const char *name; enum pilot_kind kind; } plain[] = {
        {"poor", PILOT_POOR}, {"strong", PILOT_STRONG}, {"random", PILOT_RANDOM},
        {"human", PILOT_HUMAN}};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (strcmp(spec, plain[i].name) == 0) {
            pilot->kind = plain[i].kind;
            return set_name(pilot, spec);
        }
    if (strncmp(spec, "noisy:", 6) == 0) {
        pilot->kind = PILOT_NOISY;
        return parse_noisy(pilot, spec, spec + 6);
    }
    if (strncmp(spec, "keys:", 5) == 0) {
        pilot->kind = PILOT_KEYS;
        return parse_keys(pilot, spec, spec + 5);
    }
    if (strncmp(spec, "network:", 8) == 0) {
        pilot->kind = PILOT_NETWORK;
        return parse_network(pilot, spec, spec + 8);
    }
    return ilrl_error(ILRL_EUSAGE,
                      "unknown pilot '%s' (expected poor, strong, noisy:EPS, random, human, "
                      "keys:FILE or network:LANDSCAPE.nc:I,J)", spec);
}

/* Allocates what the kind needs: a generator and/or the lookahead table. */
static int equip(struct ilrl_pilot *pilot, unsigned long seed)
{
    if (pilot->kind == PILOT_NOISY || pilot->kind == PILOT_RANDOM) {
        pilot->rng = gsl_rng_alloc(gsl_rng_mt19937);
        if (pilot->rng == NULL)
            return ilrl_error(ILRL_EFAILED, "out of memory for the pilot's generator");
        gsl_rng_set(pilot->rng, seed);
    }
    if (pilot->kind == PILOT_NOISY || pilot->kind == PILOT_STRONG) {
        pilot->search.dead = calloc((size_t)(LOOKAHEAD_FRAMES + 1) * SEARCH_Y_SPAN
                                        * SEARCH_VY_SPAN, sizeof(uint32_t));
        if (pilot->search.dead == NULL)
            return ilrl_error(ILRL_EFAILED, "out of memory for the lookahead table");
    }
    return ILRL_OK;
}

int ilrl_pilot_parse(const char *spec, unsigned long seed, struct ilrl_pilot **out)
{
    *out = NULL;
    if (spec == NULL)
        return ilrl_error(ILRL_EUSAGE, "no pilot given");
    struct ilrl_pilot *pilot = calloc(1, sizeof *pilot);
    if (pilot == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for the pilot");
    int status = parse_kind(pilot, spec);
    if (status == ILRL_OK)
        status = equip(pilot, seed);
    if (status != ILRL_OK) {
        ilrl_pilot_free(pilot);
        return status;
    }
    *out = pilot;
    return ILRL_OK;
}

void ilrl_pilot_free(struct ilrl_pilot *pilot)
{
    if (pilot == NULL)
        return;
    gsl_rng_free(pilot->rng);
    free(pilot->search.dead);
    free(pilot->flap_frames);
    ilrl_rollout_work_free(pilot->rollout);
    free(pilot->theta);
    ilrl_mlp_free(pilot->mlp);
    free(pilot->name);
    free(pilot);
}

const char *ilrl_pilot_name(const struct ilrl_pilot *pilot)
{
    return pilot != NULL && pilot->name != NULL ? pilot->name : "";
}

/* ---- acting ----------------------------------------------------------------- */

static int keys_action(struct ilrl_pilot *pilot)
{
    int flap = 0;
    while (pilot->next_flap < pilot->n_flap_frames
           && pilot->flap_frames[pilot->next_flap] <= pilot->frame) {
        flap |= pilot->flap_frames[pilot->next_flap] == pilot->frame;
        pilot->next_flap++;
    }
    return flap ? ILRL_FLAPPY_FLAP : ILRL_FLAPPY_IDLE;
}

static int human_action(void)
{
    switch (ilrl_terminal_poll_keys()) {
    case ILRL_KEY_QUIT: return -1;
    case ILRL_KEY_FLAP: return ILRL_FLAPPY_FLAP;
    default: return ILRL_FLAPPY_IDLE;
    }
}

static int choose_action(struct ilrl_pilot *pilot, const struct ilrl_flappy_state *state)
{
    switch (pilot->kind) {
    case PILOT_POOR:
        return state->bird_y > POOR_CEILING ? ILRL_FLAPPY_FLAP : ILRL_FLAPPY_IDLE;
    case PILOT_STRONG:
        return strong_action(&pilot->search, state);
    case PILOT_NOISY:
        /* One uniform draw every frame, a second only when exploring, so
         * EPS = 0 plays exactly like strong. */
        if (gsl_rng_uniform(pilot->rng) < pilot->epsilon)
            return (int)gsl_rng_uniform_int(pilot->rng, ILRL_FLAPPY_N_ACTIONS);
        return strong_action(&pilot->search, state);
    case PILOT_RANDOM:
        return (int)gsl_rng_uniform_int(pilot->rng, ILRL_FLAPPY_N_ACTIONS);
    case PILOT_HUMAN:
        return human_action();
    case PILOT_KEYS:
        return keys_action(pilot);
    case PILOT_NETWORK:
        return ilrl_rollout_act(pilot->mlp, pilot->theta, pilot->network.policy, state,
                                pilot->rollout);
    }
    return ILRL_FLAPPY_IDLE;
}

int ilrl_pilot_act(struct ilrl_pilot *pilot, const struct ilrl_flappy *game)
{
    if (pilot == NULL || game == NULL)
        return -1;
    int action = choose_action(pilot, &game->state);
    pilot->frame++;
    return action;
}

/* ---- recording -------------------------------------------------------------- */

unsigned long ilrl_episode_seed(unsigned long seed, size_t episode)
{
    /* splitmix64 of seed + (episode + 1) * golden ratio: neighbouring seeds
     * and episodes give unrelated generators.  mt19937 uses 32 bits. */
    uint64_t z = (uint64_t)seed + ((uint64_t)episode + 1) * UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    return (unsigned long)(z & UINT64_C(0xFFFFFFFF));
}

/* The pipes of episode e: a network pilot replays a landscape point's
 * rollouts, whose seeds depend on the point as well (rollout.h). */
static unsigned long episode_seed(const struct ilrl_pilot *pilot, unsigned long seed,
                                  size_t e)
{
    if (pilot->kind == PILOT_NETWORK)
        return ilrl_rollout_seed(seed, pilot->network.point, e);
    return ilrl_episode_seed(seed, e);
}

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
    int shown = options->render || pilot->kind == PILOT_HUMAN;
    int crashed = 0;
    long length = 0;
    unsigned long seed = episode_seed(pilot, options->seed, e);
    ilrl_flappy_reset(game, seed);
    if (pilot->kind == PILOT_NETWORK)
        ilrl_rollout_episode_start(pilot->rollout, seed);
    if (pilot->kind == PILOT_HUMAN && !wait_for_start(game, e, options->n_episodes)) {
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
    if (pilot->kind == PILOT_HUMAN)
        return ilrl_terminal_open(screen, STDIN_FILENO);
    if (options->render)
        return ilrl_terminal_open(screen, -1);
    return ILRL_OK;
}

int ilrl_pilot_record(struct ilrl_pilot *pilot, const struct ilrl_record_options *options,
                      struct ilrl_demo **out)
{
    struct session session;
    int quit = 0;
    *out = NULL;
    if (pilot == NULL || options == NULL)
        return ilrl_error(ILRL_EUSAGE, "no pilot or no recording options");
    int shown = options->render || pilot->kind == PILOT_HUMAN;
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

/* pilot.c -- owns the pilots (who chooses each frame's action) and the
 * --pilot spec syntax (see include/ilrl/pilot.h).  It opens no file: a
 * keys pilot gets its frames, a network pilot (network_pilot.c) its network,
 * from the program.
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
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "ilrl/error.h"
#include "ilrl/pilot.h"
#include "ilrl/seed.h"
#include "ilrl/terminal.h"

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

/* A pilot of another module (ilrl_pilot_custom) has kind CUSTOM. */
enum { PILOT_CUSTOM = -1 };

struct ilrl_pilot {
    int kind;                /* enum ilrl_pilot_kind, or PILOT_CUSTOM */
    char *name;              /* canonical spec, owned */
    double epsilon;          /* noisy: probability of a random action */
    gsl_rng *rng;            /* noisy, random: the pilot's own choices */
    struct lookahead search; /* strong, noisy */
    long *flap_frames;       /* keys: sorted session frame indices */
    size_t n_flap_frames;
    size_t next_flap;        /* keys: first entry not yet reached */
    long frame;              /* calls of ilrl_pilot_act so far */
    const struct ilrl_pilot_ops *ops;  /* custom: behaviour */
    void *self;                        /* custom: state, owned */
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

/* ---- the spec syntax --------------------------------------------------------- */

static char *copy_string(const char *text, size_t length)
{
    char *copy = malloc(length + 1);
    if (copy != NULL) {
        memcpy(copy, text, length);
        copy[length] = '\0';
    }
    return copy;
}

static int set_spec_name(struct ilrl_pilot_spec *out, const char *name)
{
    out->name = copy_string(name, strlen(name));
    if (out->name == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory naming the pilot");
    return ILRL_OK;
}

/* "noisy:EPS": EPS a finite number in [0, 1]; the canonical name prints
 * the shortest decimal that reads back as the same double. */
static int parse_noisy(struct ilrl_pilot_spec *out, const char *spec, const char *value)
{
    char *end;
    char name[64];
    double epsilon = strtod(value, &end);
    if (*value == '\0' || *end != '\0' || !isfinite(epsilon) || epsilon < 0 || epsilon > 1)
        return ilrl_error(ILRL_EUSAGE,
                          "pilot '%s': EPS must be a number in [0, 1] (noisy:0.01)", spec);
    out->epsilon = epsilon;
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(name, sizeof name, "noisy:%.*g", digits, epsilon);
        if (strtod(name + 6, NULL) == epsilon)
            break;
    }
    return set_spec_name(out, name);
}

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

/* "network:LANDSCAPE.nc:I,J" (see pilot.h). */
static int parse_network(struct ilrl_pilot_spec *out, const char *spec, const char *value)
{
    const char *colon = strrchr(value, ':');
    if (colon == NULL || colon == value || parse_indices(colon + 1, &out->i, &out->j))
        return ilrl_error(ILRL_EUSAGE, "pilot '%s': expected network:LANDSCAPE.nc:I,J "
                          "with grid indices I, J >= 0", spec);
    out->file = copy_string(value, (size_t)(colon - value));
    if (out->file == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory naming the pilot");
    return set_spec_name(out, spec);
}

static int parse_kind(struct ilrl_pilot_spec *out, const char *spec)
{
    static const struct { const char *name; enum ilrl_pilot_kind kind; } plain[] = {
        {"poor", ILRL_PILOT_POOR}, {"strong", ILRL_PILOT_STRONG},
        {"random", ILRL_PILOT_RANDOM}, {"human", ILRL_PILOT_HUMAN}};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (strcmp(spec, plain[i].name) == 0) {
            out->kind = plain[i].kind;
            return set_spec_name(out, spec);
        }
    if (strncmp(spec, "noisy:", 6) == 0) {
        out->kind = ILRL_PILOT_NOISY;
        return parse_noisy(out, spec, spec + 6);
    }
    if (strncmp(spec, "keys:", 5) == 0) {
        out->kind = ILRL_PILOT_KEYS;
        if (spec[5] == '\0')
            return ilrl_error(ILRL_EUSAGE, "pilot '%s': no keys file named (keys:FILE)", spec);
        out->file = copy_string(spec + 5, strlen(spec + 5));
        if (out->file == NULL)
            return ilrl_error(ILRL_EFAILED, "out of memory naming the pilot");
        return set_spec_name(out, spec);
    }
    if (strncmp(spec, "network:", 8) == 0) {
        out->kind = ILRL_PILOT_NETWORK;
        return parse_network(out, spec, spec + 8);
    }
    return ilrl_error(ILRL_EUSAGE,
                      "unknown pilot '%s' (expected poor, strong, noisy:EPS, random, human, "
                      "keys:FILE or network:LANDSCAPE.nc:I,J)", spec);
}

int ilrl_pilot_spec_parse(const char *spec, struct ilrl_pilot_spec *out)
{
    memset(out, 0, sizeof *out);
    if (spec == NULL)
        return ilrl_error(ILRL_EUSAGE, "no pilot given");
    int status = parse_kind(out, spec);
    if (status != ILRL_OK)
        ilrl_pilot_spec_free(out);
    return status;
}

void ilrl_pilot_spec_free(struct ilrl_pilot_spec *spec)
{
    if (spec == NULL)
        return;
    free(spec->name);
    free(spec->file);
    spec->name = NULL;
    spec->file = NULL;
}

/* ---- building ---------------------------------------------------------------- */

/* A pilot of `kind` named `name`, nothing else set. */
static int pilot_alloc(int kind, const char *name, struct ilrl_pilot **out)
{
    struct ilrl_pilot *pilot = calloc(1, sizeof *pilot);
    if (pilot == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory for the pilot");
    pilot->kind = kind;
    pilot->name = copy_string(name, strlen(name));
    if (pilot->name == NULL) {
        free(pilot);
        return ilrl_error(ILRL_EFAILED, "out of memory naming the pilot");
    }
    *out = pilot;
    return ILRL_OK;
}

/* Allocates what the kind needs: a generator and/or the lookahead table. */
static int equip(struct ilrl_pilot *pilot, double epsilon, unsigned long seed)
{
    pilot->epsilon = epsilon;
    if (pilot->kind == ILRL_PILOT_NOISY || pilot->kind == ILRL_PILOT_RANDOM) {
        pilot->rng = gsl_rng_alloc(gsl_rng_mt19937);
        if (pilot->rng == NULL)
            return ilrl_error(ILRL_EFAILED, "out of memory for the pilot's generator");
        gsl_rng_set(pilot->rng, seed);
    }
    if (pilot->kind == ILRL_PILOT_NOISY || pilot->kind == ILRL_PILOT_STRONG) {
        pilot->search.dead = calloc((size_t)(LOOKAHEAD_FRAMES + 1) * SEARCH_Y_SPAN
                                        * SEARCH_VY_SPAN, sizeof(uint32_t));
        if (pilot->search.dead == NULL)
            return ilrl_error(ILRL_EFAILED, "out of memory for the lookahead table");
    }
    return ILRL_OK;
}

int ilrl_pilot_new(const struct ilrl_pilot_spec *spec, unsigned long seed,
                   struct ilrl_pilot **out)
{
    *out = NULL;
    if (spec == NULL || spec->name == NULL)
        return ilrl_error(ILRL_EUSAGE, "no pilot given");
    if (spec->kind == ILRL_PILOT_KEYS || spec->kind == ILRL_PILOT_NETWORK)
        return ilrl_error(ILRL_EUSAGE, "pilot '%s' is built from its file's contents, "
                          "read by the program", spec->name);
    struct ilrl_pilot *pilot = NULL;
    int status = pilot_alloc((int)spec->kind, spec->name, &pilot);
    if (status == ILRL_OK)
        status = equip(pilot, spec->epsilon, seed);
    if (status != ILRL_OK) {
        ilrl_pilot_free(pilot);
        return status;
    }
    *out = pilot;
    return ILRL_OK;
}

int ilrl_pilot_parse(const char *spec, unsigned long seed, struct ilrl_pilot **out)
{
    struct ilrl_pilot_spec parsed;
    *out = NULL;
    int status = ilrl_pilot_spec_parse(spec, &parsed);
    if (status == ILRL_OK)
        status = ilrl_pilot_new(&parsed, seed, out);
    ilrl_pilot_spec_free(&parsed);
    return status;
}

static int compare_frames(const void *a, const void *b)
{
    long fa = *(const long *)a, fb = *(const long *)b;
    return (fa > fb) - (fa < fb);
}

int ilrl_pilot_keys(const char *name, const long *frames, size_t n, struct ilrl_pilot **out)
{
    *out = NULL;
    for (size_t k = 0; k < n; k++)
        if (frames[k] < 0)
            return ilrl_error(ILRL_EUSAGE, "pilot '%s': frame %ld is negative",
                              name != NULL ? name : "keys", frames[k]);
    struct ilrl_pilot *pilot = NULL;
    int status = pilot_alloc(ILRL_PILOT_KEYS, name != NULL ? name : "keys", &pilot);
    if (status != ILRL_OK)
        return status;
    if (n > 0) {
        pilot->flap_frames = n <= SIZE_MAX / sizeof(long) ? malloc(n * sizeof(long)) : NULL;
        if (pilot->flap_frames == NULL) {
            ilrl_pilot_free(pilot);
            return ilrl_error(ILRL_EFAILED, "out of memory for %zu key frames", n);
        }
        memcpy(pilot->flap_frames, frames, n * sizeof(long));
        qsort(pilot->flap_frames, n, sizeof(long), compare_frames);
    }
    pilot->n_flap_frames = n;
    *out = pilot;
    return ILRL_OK;
}

int ilrl_pilot_custom(const char *name, const struct ilrl_pilot_ops *ops, void *self,
                      struct ilrl_pilot **out)
{
    *out = NULL;
    if (ops == NULL || ops->act == NULL)
        return ilrl_error(ILRL_EFAILED, "a custom pilot needs an act function");
    struct ilrl_pilot *pilot = NULL;
    int status = pilot_alloc(PILOT_CUSTOM, name != NULL ? name : "", &pilot);
    if (status != ILRL_OK) {
        if (ops->free != NULL)
            ops->free(self);
        return status;
    }
    pilot->ops = ops;
    pilot->self = self;
    *out = pilot;
    return ILRL_OK;
}

void *ilrl_pilot_custom_self(const struct ilrl_pilot *pilot, const struct ilrl_pilot_ops *ops)
{
    return pilot != NULL && pilot->kind == PILOT_CUSTOM && pilot->ops == ops ? pilot->self
                                                                             : NULL;
}

void ilrl_pilot_free(struct ilrl_pilot *pilot)
{
    if (pilot == NULL)
        return;
    if (pilot->ops != NULL && pilot->ops->free != NULL)
        pilot->ops->free(pilot->self);
    gsl_rng_free(pilot->rng);
    free(pilot->search.dead);
    free(pilot->flap_frames);
    free(pilot->name);
    free(pilot);
}

const char *ilrl_pilot_name(const struct ilrl_pilot *pilot)
{
    return pilot != NULL && pilot->name != NULL ? pilot->name : "";
}

int ilrl_pilot_is_human(const struct ilrl_pilot *pilot)
{
    return pilot != NULL && pilot->kind == ILRL_PILOT_HUMAN;
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
    case ILRL_PILOT_POOR:
        return state->bird_y > POOR_CEILING ? ILRL_FLAPPY_FLAP : ILRL_FLAPPY_IDLE;
    case ILRL_PILOT_STRONG:
        return strong_action(&pilot->search, state);
    case ILRL_PILOT_NOISY:
        /* One uniform draw every frame, a second only when exploring, so
         * EPS = 0 plays exactly like strong. */
        if (gsl_rng_uniform(pilot->rng) < pilot->epsilon)
            return (int)gsl_rng_uniform_int(pilot->rng, ILRL_FLAPPY_N_ACTIONS);
        return strong_action(&pilot->search, state);
    case ILRL_PILOT_RANDOM:
        return (int)gsl_rng_uniform_int(pilot->rng, ILRL_FLAPPY_N_ACTIONS);
    case ILRL_PILOT_HUMAN:
        return human_action();
    case ILRL_PILOT_KEYS:
        return keys_action(pilot);
    case PILOT_CUSTOM:
        return pilot->ops->act(pilot->self, state);
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

unsigned long ilrl_pilot_episode_seed(const struct ilrl_pilot *pilot, unsigned long seed,
                                      size_t episode)
{
    if (pilot != NULL && pilot->ops != NULL && pilot->ops->episode_seed != NULL)
        return pilot->ops->episode_seed(pilot->self, seed, episode);
    return ilrl_episode_seed(seed, episode);
}

void ilrl_pilot_episode_start(struct ilrl_pilot *pilot, unsigned long pipe_seed)
{
    if (pilot != NULL && pilot->ops != NULL && pilot->ops->episode_start != NULL)
        pilot->ops->episode_start(pilot->self, pipe_seed);
}

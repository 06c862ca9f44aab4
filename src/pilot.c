/* pilot.c -- owns the pilots (who chooses each frame's action) and the
 * --pilot spec syntax (see include/ilrl/pilot.h).  It opens no file: a
 * keys pilot gets its frames, a network pilot (network_pilot.c) its network,
 * from the program.  It knows no game: poor and strong are the
 * environment's own controllers (env.h), noisy wraps strong, random draws
 * among the environment's K actions, human maps keys with the
 * environment's key map.
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

/* A pilot of another module (ilrl_pilot_custom) has kind CUSTOM. */
enum { PILOT_CUSTOM = -1 };

struct ilrl_pilot {
    int kind;                /* enum ilrl_pilot_kind, or PILOT_CUSTOM */
    char *name;              /* canonical spec, owned */
    const struct ilrl_env_type *env;   /* poor, strong, noisy, random, human:
                                          the environment it plays; else NULL */
    double epsilon;          /* noisy: probability of a random action */
    gsl_rng *rng;            /* noisy, random: the pilot's own choices */
    const struct ilrl_env_controller *controller;  /* poor, strong, noisy */
    void *controller_self;   /* the controller's state, owned */
    long *flap_frames;       /* keys: sorted session frame indices (action 1) */
    size_t n_flap_frames;
    size_t next_flap;        /* keys: first entry not yet reached */
    long frame;              /* calls of ilrl_pilot_act so far */
    const struct ilrl_pilot_ops *ops;  /* custom: behaviour */
    void *self;                        /* custom: state, owned */
};

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

/* Allocates what the kind needs: a generator and/or the controller. */
static int equip(struct ilrl_pilot *pilot, double epsilon, unsigned long seed)
{
    pilot->epsilon = epsilon;
    if (pilot->kind == ILRL_PILOT_NOISY || pilot->kind == ILRL_PILOT_RANDOM) {
        pilot->rng = gsl_rng_alloc(gsl_rng_mt19937);
        if (pilot->rng == NULL)
            return ilrl_error(ILRL_EFAILED, "out of memory for the pilot's generator");
        gsl_rng_set(pilot->rng, seed);
    }
    if (pilot->kind == ILRL_PILOT_POOR)
        pilot->controller = pilot->env->poor;
    if (pilot->kind == ILRL_PILOT_NOISY || pilot->kind == ILRL_PILOT_STRONG)
        pilot->controller = pilot->env->strong;
    if (pilot->controller != NULL && pilot->controller->alloc != NULL) {
        pilot->controller_self = pilot->controller->alloc();
        if (pilot->controller_self == NULL)
            return ilrl_error(ILRL_EFAILED, "out of memory for the %s pilot of %s",
                              pilot->name, pilot->env->name);
    }
    return ILRL_OK;
}

int ilrl_pilot_new(const struct ilrl_pilot_spec *spec, unsigned long seed,
                   struct ilrl_pilot **out)
{
    return ilrl_pilot_new_env(ilrl_env_default(), spec, seed, out);
}

int ilrl_pilot_new_env(const struct ilrl_env_type *env, const struct ilrl_pilot_spec *spec,
                       unsigned long seed, struct ilrl_pilot **out)
{
    *out = NULL;
    if (spec == NULL || spec->name == NULL)
        return ilrl_error(ILRL_EUSAGE, "no pilot given");
    if (spec->kind == ILRL_PILOT_KEYS || spec->kind == ILRL_PILOT_NETWORK)
        return ilrl_error(ILRL_EUSAGE, "pilot '%s' is built from its file's contents, "
                          "read by the program", spec->name);
    struct ilrl_pilot *pilot = NULL;
    if (env == NULL)
        return ilrl_error(ILRL_EUSAGE, "pilot '%s': no environment", spec->name);
    int status = pilot_alloc((int)spec->kind, spec->name, &pilot);
    if (status == ILRL_OK) {
        pilot->env = env;
        status = equip(pilot, spec->epsilon, seed);
    }
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
    if (pilot->controller != NULL && pilot->controller->free != NULL)
        pilot->controller->free(pilot->controller_self);
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

const struct ilrl_env_type *ilrl_pilot_env(const struct ilrl_pilot *pilot)
{
    if (pilot != NULL && pilot->ops != NULL && pilot->ops->env != NULL)
        return pilot->ops->env(pilot->self);
    return pilot != NULL ? pilot->env : NULL;
}

/* ---- acting ----------------------------------------------------------------- */

static int keys_action(struct ilrl_pilot *pilot)
{
    int listed = 0;
    while (pilot->next_flap < pilot->n_flap_frames
           && pilot->flap_frames[pilot->next_flap] <= pilot->frame) {
        listed |= pilot->flap_frames[pilot->next_flap] == pilot->frame;
        pilot->next_flap++;
    }
    return listed ? 1 : 0;
}

static int human_action(struct ilrl_pilot *pilot, const struct ilrl_env *env)
{
    unsigned keys = ilrl_terminal_poll_keys();
    if (keys & ILRL_KEY_QUIT)
        return -1;
    return env->type->human_action(keys, pilot->frame);
}

static int controller_action(struct ilrl_pilot *pilot, const struct ilrl_env *env)
{
    return pilot->controller->act(pilot->controller_self, env->game);
}

static int choose_action(struct ilrl_pilot *pilot, const struct ilrl_env *env)
{
    unsigned long k = (unsigned long)env->type->n_actions;
    switch (pilot->kind) {
    case ILRL_PILOT_POOR:
    case ILRL_PILOT_STRONG:
        return controller_action(pilot, env);
    case ILRL_PILOT_NOISY:
        /* One uniform draw every frame, a second only when exploring, so
         * EPS = 0 plays exactly like strong. */
        if (gsl_rng_uniform(pilot->rng) < pilot->epsilon)
            return (int)gsl_rng_uniform_int(pilot->rng, k);
        return controller_action(pilot, env);
    case ILRL_PILOT_RANDOM:
        return (int)gsl_rng_uniform_int(pilot->rng, k);
    case ILRL_PILOT_HUMAN:
        return human_action(pilot, env);
    case ILRL_PILOT_KEYS:
        return keys_action(pilot);
    case PILOT_CUSTOM:
        return pilot->ops->act(pilot->self, env);
    }
    return 0;
}

int ilrl_pilot_act(struct ilrl_pilot *pilot, const struct ilrl_env *env)
{
    if (pilot == NULL || env == NULL)
        return -1;
    const struct ilrl_env_type *own = ilrl_pilot_env(pilot);
    if (own != NULL && own != env->type)
        return -1;
    int action = choose_action(pilot, env);
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

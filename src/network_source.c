/* network_source.c -- owns FILE[:K]: a network taken from a network file or
 * a trajectory checkpoint (see include/ilrl/network_source.h).  The files
 * are read through network_io.h and trajectory_io.h; no NetCDF here. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ilrl/error.h"
#include "ilrl/network_io.h"
#include "ilrl/network_source.h"
#include "ilrl/trajectory_io.h"

int ilrl_file_suffix_split(const char *text, char **file, char **suffix)
{
    const char *colon = strrchr(text, ':');
    *file = NULL;
    *suffix = NULL;
    if (access(text, F_OK) == 0 || colon == NULL || colon == text) {
        *file = strdup(text);
    } else {
        *file = strndup(text, (size_t)(colon - text));
        *suffix = strdup(colon + 1);
        if (*suffix == NULL) {
            free(*file);
            *file = NULL;
        }
    }
    return *file != NULL ? ILRL_OK : ilrl_error(ILRL_EFAILED, "out of memory");
}

/* K: decimal digits only, at most 10^15 (more checkpoints than any file
 * can hold). */
static int parse_checkpoint(const char *text, long long *k)
{
    char *end = NULL;
    if (text[0] < '0' || text[0] > '9' || strlen(text) > 15)
        return 0;
    errno = 0;
    *k = strtoll(text, &end, 10);
    return *end == '\0' && errno == 0;
}

static int read_checkpoint(const char *path, long long k, struct ilrl_network_source *source)
{
    struct ilrl_trajectory traj;
    char *settings = NULL;
    int status = ilrl_trajectory_read(path, &traj, &source->mlp, &settings, NULL);
    free(settings);
    if (status != ILRL_OK)
        return status;
    size_t n = traj.n_checkpoints;
    if (k < 0)
        k = (long long)n - 1;
    if (n == 0 || k >= (long long)n)
        status = ilrl_error(ILRL_EINPUT, "%s: no checkpoint %lld (the file holds %zu)", path,
                            k < 0 ? 0 : k, n);
    if (status == ILRL_OK) {
        source->theta = malloc(traj.n_params * sizeof *source->theta);
        if (source->theta == NULL)
            status = ilrl_error(ILRL_EFAILED, "out of memory");
        else
            memcpy(source->theta, traj.ck_theta + (size_t)k * traj.n_params,
                   traj.n_params * sizeof *source->theta);
        source->checkpoint = k;
    }
    ilrl_trajectory_free(&traj);
    return status;
}

int ilrl_network_source_read(const char *option, const char *spec,
                             struct ilrl_network_source *source)
{
    char *suffix = NULL, *kind = NULL;
    long long k = -1;
    memset(source, 0, sizeof *source);
    source->checkpoint = -1;
    int status = ilrl_file_suffix_split(spec, &source->file, &suffix);
    if (status == ILRL_OK && suffix != NULL && !parse_checkpoint(suffix, &k)) {
        /* "x.nc:last": a suffix that is no K, on a file that exists */
        if (access(source->file, F_OK) == 0)
            status = ilrl_error(ILRL_EUSAGE, "%s %s: K must be a checkpoint number >= 0", option,
                                spec);
        else {   /* neither "x.nc:last" nor "x.nc" exists: name what was given */
            free(suffix);
            suffix = NULL;
            free(source->file);
            source->file = strdup(spec);
            if (source->file == NULL)
                status = ilrl_error(ILRL_EFAILED, "out of memory");
        }
    }
    if (status == ILRL_OK)
        status = ilrl_file_kind(source->file, &kind);
    if (status == ILRL_OK && strcmp(kind, ILRL_NETWORK_KIND) == 0) {
        if (suffix != NULL)
            status = ilrl_error(ILRL_EUSAGE, "%s %s: %s is a network file, it has no checkpoint to choose",
                                option, spec, source->file);
        else
            status = ilrl_network_read(source->file, &source->mlp, &source->theta);
    } else if (status == ILRL_OK && strcmp(kind, ILRL_TRAJECTORY_KIND) == 0) {
        status = read_checkpoint(source->file, k, source);
    } else if (status == ILRL_OK) {
        status = ilrl_error(ILRL_EINPUT, "%s: not a network or trajectory file (ilrl_file_kind '%s')",
                            source->file, kind);
    }
    free(kind);
    free(suffix);
    return status;
}

void ilrl_network_source_free(struct ilrl_network_source *source)
{
    if (source == NULL)
        return;
    free(source->file);
    ilrl_mlp_free(source->mlp);
    free(source->theta);
    memset(source, 0, sizeof *source);
    source->checkpoint = -1;
}

int ilrl_mlp_same_shape(const struct ilrl_mlp *a, const struct ilrl_mlp *b)
{
    if (a->n_layers != b->n_layers || a->activation != b->activation)
        return 0;
    for (size_t l = 0; l <= a->n_layers; l++)
        if (a->sizes[l] != b->sizes[l])
            return 0;
    return 1;
}

static void sizes_format(const struct ilrl_mlp *mlp, char *buf, size_t buf_size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t l = 0; l <= mlp->n_layers && used < buf_size; l++) {
        int n = snprintf(buf + used, buf_size - used, "%s%zu", l ? "," : "", mlp->sizes[l]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

void ilrl_mlp_shape_format(const struct ilrl_mlp *mlp, char *buf, size_t buf_size)
{
    sizes_format(mlp, buf, buf_size);
    size_t used = strlen(buf);
    if (used + 1 < buf_size)
        snprintf(buf + used, buf_size - used, " %s", ilrl_activation_name(mlp->activation));
}

int ilrl_network_source_check_options(const struct ilrl_mlp *mlp, const char *what,
                                      const char *layers, int activation_given,
                                      enum ilrl_activation activation)
{
    char shape[512];
    sizes_format(mlp, shape, sizeof shape);
    if (layers != NULL) {
        size_t *sizes = NULL, n_sizes = 0;
        int status = ilrl_mlp_parse_layers(layers, &sizes, &n_sizes);
        if (status != ILRL_OK)
            return ilrl_error(status, "--layers: %s", ilrl_error_message());
        int same = n_sizes == mlp->n_layers + 1;
        for (size_t l = 0; same && l < n_sizes; l++)
            same = sizes[l] == mlp->sizes[l];
        free(sizes);
        if (!same)
            return ilrl_error(ILRL_EUSAGE, "--layers %s conflicts with the layer sizes %s of %s",
                              layers, shape, what);
    }
    if (activation_given && activation != mlp->activation)
        return ilrl_error(ILRL_EUSAGE, "--activation %s conflicts with the activation %s of %s",
                          ilrl_activation_name(activation), ilrl_activation_name(mlp->activation),
                          what);
    return ILRL_OK;
}

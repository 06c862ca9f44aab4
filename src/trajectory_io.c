/* trajectory_io.c -- the trajectory file (trajectory_io.h, docs/formats.md). */
#include "config.h"

#include <math.h>
#include <netcdf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/error.h"
#include "ilrl/ncfile.h"
#include "ilrl/network_io.h"
#include "ilrl/trajectory_io.h"

const char *const ilrl_traj_double_names[ILRL_TRAJ_N_DOUBLES] = {
    "il_loss_train", "il_loss_val", "rl_loss_demo", "return_mean", "score_mean",
    "length_mean", "eval_return", "eval_score", "grad_norm", "cos_il_rl", "wall_seconds",
};
static const char *const double_long_names[ILRL_TRAJ_N_DOUBLES] = {
    "L_IL on the demo's training episodes", "L_IL on the demo's held-out episodes",
    "L_RL (return weights) on the demo", "mean discounted return of the update's sampled episodes",
    "mean score of the update's sampled episodes", "mean length of the update's sampled episodes",
    "greedy evaluation: mean discounted return (NaN: not evaluated)",
    "greedy evaluation: mean score (NaN: not evaluated)",
    "Euclidean norm of the row's last gradient",
    "cosine between -grad L_IL on the demo and the update's change of theta",
    "wall-clock seconds since the run started",
};
#define N_INT64 3
static const char *const int64_names[N_INT64] = {"update", "env_steps", "samples"};
static const char *const int64_long_names[N_INT64] = {
    "optimiser steps so far", "cumulative environment steps", "cumulative demo samples trained on",
};

static double *row_double(struct ilrl_traj_row *row, size_t k)
{
    double *fields[ILRL_TRAJ_N_DOUBLES] = {
        &row->il_loss_train, &row->il_loss_val, &row->rl_loss_demo, &row->return_mean,
        &row->score_mean, &row->length_mean, &row->eval_return, &row->eval_score,
        &row->grad_norm, &row->cos_il_rl, &row->wall_seconds,
    };
    return fields[k];
}

static long long *row_int64(struct ilrl_traj_row *row, size_t k)
{
    long long *fields[N_INT64] = {&row->update, &row->env_steps, &row->samples};
    return fields[k];
}

int ilrl_trajectory_init(struct ilrl_trajectory *traj, size_t n_params)
{
    memset(traj, 0, sizeof *traj);
    traj->n_params = n_params;
    return ILRL_OK;
}

void ilrl_trajectory_free(struct ilrl_trajectory *traj)
{
    free(traj->rows);
    free(traj->ck_theta);
    free(traj->ck_update);
    free(traj->ck_env_steps);
    free(traj->ck_phase);
    memset(traj, 0, sizeof *traj);
}

static int grow(void **array, size_t element, size_t capacity)
{
    void *bigger = realloc(*array, element * capacity);
    if (bigger == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory growing the trajectory");
    *array = bigger;
    return ILRL_OK;
}

int ilrl_trajectory_add_row(struct ilrl_trajectory *traj, const struct ilrl_traj_row *row)
{
    if (traj->n_rows == traj->cap_rows) {
        size_t capacity = traj->cap_rows ? 2 * traj->cap_rows : 64;
        if (grow((void **)&traj->rows, sizeof *traj->rows, capacity) != ILRL_OK)
            return ILRL_EFAILED;
        traj->cap_rows = capacity;
    }
    traj->rows[traj->n_rows++] = *row;
    return ILRL_OK;
}

int ilrl_trajectory_add_checkpoint(struct ilrl_trajectory *traj, const double *theta,
                                   long long update, long long env_steps, int phase)
{
    if (traj->n_checkpoints == traj->cap_checkpoints) {
        size_t capacity = traj->cap_checkpoints ? 2 * traj->cap_checkpoints : 8;
        if (grow((void **)&traj->ck_theta, traj->n_params * sizeof(double), capacity)
            || grow((void **)&traj->ck_update, sizeof(long long), capacity)
            || grow((void **)&traj->ck_env_steps, sizeof(long long), capacity)
            || grow((void **)&traj->ck_phase, sizeof(int), capacity))
            return ILRL_EFAILED;
        traj->cap_checkpoints = capacity;
    }
    size_t k = traj->n_checkpoints++;
    memcpy(traj->ck_theta + k * traj->n_params, theta, traj->n_params * sizeof *theta);
    traj->ck_update[k] = update;
    traj->ck_env_steps[k] = env_steps;
    traj->ck_phase[k] = phase;
    return ILRL_OK;
}

/* ---- writing ------------------------------------------------------------------ */

static int put_column(struct ilrl_ncfile *file, const char *name, int varid, size_t n,
                      const void *data, int is_double, int is_int)
{
    size_t start = 0, count = n;
    if (n == 0)
        return ILRL_OK;
    if (is_double)
        return ILRL_NC(file, name, nc_put_vara_double, (file->ncid, varid, &start, &count, data));
    if (is_int)
        return ILRL_NC(file, name, nc_put_vara_int, (file->ncid, varid, &start, &count, data));
    return ILRL_NC(file, name, nc_put_vara_longlong, (file->ncid, varid, &start, &count, data));
}

static int write_contents(struct ilrl_ncfile *file, const struct ilrl_trajectory *traj,
                          const struct ilrl_mlp *mlp, const char *settings,
                          const struct ilrl_traj_attr *attrs, size_t n_attrs,
                          const struct ilrl_traj_state *state)
{
    int update_dim, ck_dim, param_dim, status = ILRL_OK;
    int phase_var, double_vars[ILRL_TRAJ_N_DOUBLES], int64_vars[N_INT64];
    int ck_theta_var, ck_update_var, ck_steps_var, ck_phase_var;
    int state_vars[3] = {-1, -1, -1};
    int sizes[64];
    size_t n = traj->n_rows, P = traj->n_params;

    if (mlp->n_layers + 1 > 64)
        return ilrl_error(ILRL_EUSAGE, "%s: network too deep to write", file->path);
    for (size_t l = 0; l <= mlp->n_layers; l++)
        sizes[l] = (int)mlp->sizes[l];
    if (!status) status = ILRL_NC(file, "update", nc_def_dim, (file->ncid, "update", NC_UNLIMITED, &update_dim));
    if (!status) status = ILRL_NC(file, "checkpoint", nc_def_dim,
                                  (file->ncid, "checkpoint", NC_UNLIMITED, &ck_dim));
    if (!status) status = ILRL_NC(file, "param", nc_def_dim, (file->ncid, "param", P, &param_dim));
    if (!status) status = ilrl_ncfile_define(file, "phase", NC_INT, 1, &update_dim,
                                             "phase of the row: 0 imitation, 1 reinforcement", NULL,
                                             &phase_var);
    for (size_t k = 0; !status && k < N_INT64; k++)
        status = ilrl_ncfile_define(file, int64_names[k], NC_INT64, 1, &update_dim,
                                    int64_long_names[k], NULL, &int64_vars[k]);
    for (size_t k = 0; !status && k < ILRL_TRAJ_N_DOUBLES; k++)
        status = ilrl_ncfile_define(file, ilrl_traj_double_names[k], NC_DOUBLE, 1, &update_dim,
                                    double_long_names[k], k == 10 ? "s" : NULL, &double_vars[k]);
    int ck_dims[2] = {ck_dim, param_dim};
    if (!status) status = ilrl_ncfile_define(file, "checkpoint_theta", NC_DOUBLE, 2, ck_dims,
                                             "theta at the checkpoint", NULL, &ck_theta_var);
    if (!status) status = ilrl_ncfile_define(file, "checkpoint_update", NC_INT64, 1, &ck_dim,
                                             "optimiser steps at the checkpoint", NULL, &ck_update_var);
    if (!status) status = ilrl_ncfile_define(file, "checkpoint_env_steps", NC_INT64, 1, &ck_dim,
                                             "environment steps at the checkpoint", NULL, &ck_steps_var);
    if (!status) status = ilrl_ncfile_define(file, "checkpoint_phase", NC_INT, 1, &ck_dim,
                                             "phase at the checkpoint: 0 imitation, 1 reinforcement",
                                             NULL, &ck_phase_var);
    static const char *const state_names[3] = {"state_theta", "state_adam_m", "state_adam_v"};
    for (int k = 0; !status && state && state->present && k < 3; k++)
        status = ilrl_ncfile_define(file, state_names[k], NC_DOUBLE, 1, &param_dim,
                                    "resume state (checkpoint files only)", NULL, &state_vars[k]);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "ilrl_file_kind", ILRL_TRAJECTORY_KIND);
    if (!status) status = ilrl_ncfile_put_ints(file, "layer_sizes", sizes, mlp->n_layers + 1);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "activation",
                                               ilrl_activation_name(mlp->activation));
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "settings", settings);
    for (size_t k = 0; !status && k < n_attrs; k++) {
        if (attrs[k].text != NULL)
            status = ilrl_ncfile_put_text(file, NC_GLOBAL, attrs[k].name, attrs[k].text);
        else if (attrs[k].is_integer)
            status = ilrl_ncfile_put_int64(file, attrs[k].name, attrs[k].integer);
        else
            status = ilrl_ncfile_put_double(file, attrs[k].name, attrs[k].number);
    }
    if (!status && state && state->present) {
        char name[32];
        for (int k = 0; !status && k < 8; k++) {
            snprintf(name, sizeof name, "state_counter_%d", k);
            status = ilrl_ncfile_put_int64(file, name, state->counter[k]);
        }
        if (!status) status = ilrl_ncfile_put_double(file, "state_best_val", state->best_val);
        if (!status) status = ilrl_ncfile_put_double(file, "state_wall_seconds", state->wall_seconds);
    }
    if (!status) status = ILRL_NC(file, "file", nc_enddef, (file->ncid));

    if (n > 0 && !status) {
        int *phase = malloc(n * sizeof *phase);
        long long *ints = malloc(n * sizeof *ints);
        double *doubles = malloc(n * sizeof *doubles);
        if (phase == NULL || ints == NULL || doubles == NULL)
            status = ilrl_error(ILRL_EFAILED, "out of memory writing %s", file->path);
        for (size_t i = 0; !status && i < n; i++)
            phase[i] = traj->rows[i].phase;
        if (!status) status = put_column(file, "phase", phase_var, n, phase, 0, 1);
        for (size_t k = 0; !status && k < N_INT64; k++) {
            for (size_t i = 0; i < n; i++)
                ints[i] = *row_int64(&traj->rows[i], k);
            status = put_column(file, int64_names[k], int64_vars[k], n, ints, 0, 0);
        }
        for (size_t k = 0; !status && k < ILRL_TRAJ_N_DOUBLES; k++) {
            for (size_t i = 0; i < n; i++)
                doubles[i] = *row_double(&traj->rows[i], k);
            status = put_column(file, ilrl_traj_double_names[k], double_vars[k], n, doubles, 1, 0);
        }
        free(phase);
        free(ints);
        free(doubles);
    }
    size_t c = traj->n_checkpoints;
    if (c > 0 && !status) {
        size_t start[2] = {0, 0}, count[2] = {c, P};
        status = ILRL_NC(file, "checkpoint_theta", nc_put_vara_double,
                         (file->ncid, ck_theta_var, start, count, traj->ck_theta));
        if (!status) status = put_column(file, "checkpoint_update", ck_update_var, c, traj->ck_update, 0, 0);
        if (!status) status = put_column(file, "checkpoint_env_steps", ck_steps_var, c, traj->ck_env_steps, 0, 0);
        if (!status) status = put_column(file, "checkpoint_phase", ck_phase_var, c, traj->ck_phase, 0, 1);
    }
    if (state && state->present) {
        const double *arrays[3] = {state->theta, state->adam_m, state->adam_v};
        for (int k = 0; !status && k < 3; k++)
            status = ILRL_NC(file, state_names[k], nc_put_var_double,
                             (file->ncid, state_vars[k], arrays[k]));
    }
    return status;
}

int ilrl_trajectory_write(const char *path, const struct ilrl_trajectory *traj,
                          const struct ilrl_mlp *mlp, const char *settings,
                          const struct ilrl_traj_attr *attrs, size_t n_attrs,
                          const struct ilrl_traj_state *state, int force)
{
    struct ilrl_ncfile file;
    off_t bound = (off_t)((traj->n_checkpoints + 4) * traj->n_params * sizeof(double))
                  + (off_t)(traj->n_rows * 160) + 262144;
    int status = ilrl_ncfile_create(&file, path, force, bound);
    if (status == ILRL_OK)
        status = ilrl_ncfile_publish(&file, write_contents(&file, traj, mlp, settings, attrs,
                                                           n_attrs, state));
    return status;
}

/* ---- reading ------------------------------------------------------------------ */

static int find_variable(struct ilrl_ncfile *file, const char *name, nc_type type, int ndims,
                         const int *dimids, int *varid)
{
    int actual_ndims, actual_dims[NC_MAX_VAR_DIMS];
    nc_type actual_type;
    int nc_status = nc_inq_varid(file->ncid, name, varid);
    if (nc_status == NC_ENOTVAR)
        return ilrl_error(ILRL_EINPUT, "%s: variable '%s' missing", file->path, name);
    int status = ilrl_ncfile_checked(file, nc_status, "nc_inq_varid", name);
    if (!status) status = ILRL_NC(file, name, nc_inq_var, (file->ncid, *varid, NULL, &actual_type,
                                                         &actual_ndims, actual_dims, NULL));
    if (status)
        return status;
    int same = actual_ndims == ndims && actual_type == type;
    for (int k = 0; same && k < ndims; k++)
        same = actual_dims[k] == dimids[k];
    if (!same)
        return ilrl_error(ILRL_EINPUT, "%s: variable '%s' has the wrong type or dimensions",
                          file->path, name);
    return ilrl_ncfile_check_size(file, *varid, name);
}

static int get_dimension(struct ilrl_ncfile *file, const char *name, int *dimid, size_t *length)
{
    int nc_status = nc_inq_dimid(file->ncid, name, dimid);
    if (nc_status == NC_EBADDIM)
        return ilrl_error(ILRL_EINPUT, "%s: dimension '%s' missing", file->path, name);
    int status = ilrl_ncfile_checked(file, nc_status, "nc_inq_dimid", name);
    if (!status) status = ILRL_NC(file, name, nc_inq_dimlen, (file->ncid, *dimid, length));
    return status;
}

static int get_column(struct ilrl_ncfile *file, const char *name, nc_type type, int dimid,
                      size_t n, void *data)
{
    int varid;
    int status = find_variable(file, name, type, 1, &dimid, &varid);
    size_t start = 0, count = n;
    if (status || n == 0)
        return status;
    if (type == NC_DOUBLE)
        return ILRL_NC(file, name, nc_get_vara_double, (file->ncid, varid, &start, &count, data));
    if (type == NC_INT)
        return ILRL_NC(file, name, nc_get_vara_int, (file->ncid, varid, &start, &count, data));
    return ILRL_NC(file, name, nc_get_vara_longlong, (file->ncid, varid, &start, &count, data));
}

static int read_contents(struct ilrl_ncfile *file, struct ilrl_trajectory *traj,
                         struct ilrl_mlp **mlp, char **settings, struct ilrl_traj_state *state)
{
    char *kind = NULL;
    int update_dim, ck_dim, param_dim, status;
    size_t n = 0, c = 0, P = 0;

    status = ilrl_ncfile_get_text(file, NC_GLOBAL, "ilrl_file_kind", &kind, NULL);
    if (!status && strcmp(kind, ILRL_TRAJECTORY_KIND) != 0)
        status = ilrl_error(ILRL_EINPUT, "%s: ilrl_file_kind is '%s', not '%s'", file->path, kind,
                            ILRL_TRAJECTORY_KIND);
    free(kind);
    if (!status) status = ilrl_network_read_shape(file, mlp);
    if (!status) status = ilrl_ncfile_get_text(file, NC_GLOBAL, "settings", settings, NULL);
    if (!status) status = get_dimension(file, "update", &update_dim, &n);
    if (!status) status = get_dimension(file, "checkpoint", &ck_dim, &c);
    if (!status) status = get_dimension(file, "param", &param_dim, &P);
    if (!status && P != (*mlp)->n_params)
        status = ilrl_error(ILRL_EINPUT, "%s: %zu parameters but layer_sizes make %zu", file->path,
                            P, (*mlp)->n_params);
    if (!status && (n > 100000000 || c > 1000000))
        status = ilrl_error(ILRL_EINPUT, "%s: implausible numbers of rows or checkpoints", file->path);
    if (status)
        return status;
    traj->n_params = P;
    int *ints = malloc((n + c + 1) * sizeof *ints);
    long long *wide = malloc((n + c + 1) * sizeof *wide);
    double *doubles = malloc((n + 1) * sizeof *doubles);
    traj->rows = calloc(n + 1, sizeof *traj->rows);
    traj->cap_rows = n + 1;
    if (!ints || !wide || !doubles || !traj->rows)
        status = ilrl_error(ILRL_EFAILED, "%s: out of memory", file->path);
    if (!status) status = get_column(file, "phase", NC_INT, update_dim, n, ints);
    for (size_t i = 0; !status && i < n; i++)
        traj->rows[i].phase = ints[i];
    for (size_t k = 0; !status && k < N_INT64; k++) {
        status = get_column(file, int64_names[k], NC_INT64, update_dim, n, wide);
        for (size_t i = 0; !status && i < n; i++)
            *row_int64(&traj->rows[i], k) = wide[i];
    }
    for (size_t k = 0; !status && k < ILRL_TRAJ_N_DOUBLES; k++) {
        status = get_column(file, ilrl_traj_double_names[k], NC_DOUBLE, update_dim, n, doubles);
        for (size_t i = 0; !status && i < n; i++)
            *row_double(&traj->rows[i], k) = doubles[i];
    }
    if (!status) traj->n_rows = n;
    int ck_dims[2] = {ck_dim, param_dim};
    int varid;
    if (!status) status = find_variable(file, "checkpoint_theta", NC_DOUBLE, 2, ck_dims, &varid);
    if (!status) {
        traj->cap_checkpoints = c + 1;
        traj->ck_theta = malloc((c + 1) * P * sizeof(double));
        traj->ck_update = malloc((c + 1) * sizeof(long long));
        traj->ck_env_steps = malloc((c + 1) * sizeof(long long));
        traj->ck_phase = malloc((c + 1) * sizeof(int));
        if (!traj->ck_theta || !traj->ck_update || !traj->ck_env_steps || !traj->ck_phase)
            status = ilrl_error(ILRL_EFAILED, "%s: out of memory", file->path);
    }
    if (!status && c > 0) {
        size_t start[2] = {0, 0}, count[2] = {c, P};
        status = ILRL_NC(file, "checkpoint_theta", nc_get_vara_double,
                         (file->ncid, varid, start, count, traj->ck_theta));
        for (size_t k = 0; !status && k < c * P; k++)
            if (!isfinite(traj->ck_theta[k]))
                status = ilrl_error(ILRL_EINPUT, "%s: checkpoint_theta[%zu, %zu] is not finite",
                                    file->path, k / P, k % P);
    }
    if (!status) status = get_column(file, "checkpoint_update", NC_INT64, ck_dim, c, traj->ck_update);
    if (!status) status = get_column(file, "checkpoint_env_steps", NC_INT64, ck_dim, c, traj->ck_env_steps);
    if (!status) status = get_column(file, "checkpoint_phase", NC_INT, ck_dim, c, traj->ck_phase);
    if (!status) traj->n_checkpoints = c;
    if (!status && state != NULL) {
        memset(state, 0, sizeof *state);
        if (nc_inq_varid(file->ncid, "state_theta", &varid) == NC_NOERR) {
            static const char *const names[3] = {"state_theta", "state_adam_m", "state_adam_v"};
            double **arrays[3] = {&state->theta, &state->adam_m, &state->adam_v};
            for (int k = 0; !status && k < 3; k++) {
                *arrays[k] = malloc(P * sizeof(double));
                if (*arrays[k] == NULL)
                    status = ilrl_error(ILRL_EFAILED, "%s: out of memory", file->path);
                if (!status) status = find_variable(file, names[k], NC_DOUBLE, 1, &param_dim, &varid);
                if (!status) status = ILRL_NC(file, names[k], nc_get_var_double,
                                              (file->ncid, varid, *arrays[k]));
            }
            char name[32];
            for (int k = 0; !status && k < 8; k++) {
                snprintf(name, sizeof name, "state_counter_%d", k);
                status = ilrl_ncfile_get_integer(file, NC_GLOBAL, name, &state->counter[k], NULL);
            }
            if (!status) status = ilrl_ncfile_get_double(file, NC_GLOBAL, "state_best_val",
                                                         &state->best_val, NULL);
            if (!status) status = ilrl_ncfile_get_double(file, NC_GLOBAL, "state_wall_seconds",
                                                         &state->wall_seconds, NULL);
            state->present = status == ILRL_OK;
        }
    }
    free(ints);
    free(wide);
    free(doubles);
    return status;
}

int ilrl_trajectory_read(const char *path, struct ilrl_trajectory *traj,
                         struct ilrl_mlp **mlp, char **settings,
                         struct ilrl_traj_state *state)
{
    struct ilrl_ncfile file;
    memset(traj, 0, sizeof *traj);
    *mlp = NULL;
    *settings = NULL;
    if (state != NULL)
        memset(state, 0, sizeof *state);
    int status = ilrl_ncfile_open(&file, path);
    if (status == ILRL_OK)
        status = ilrl_ncfile_close(&file, read_contents(&file, traj, mlp, settings, state));
    if (status != ILRL_OK) {
        ilrl_trajectory_free(traj);
        ilrl_mlp_free(*mlp);
        *mlp = NULL;
        free(*settings);
        *settings = NULL;
        if (state != NULL)
            ilrl_traj_state_free(state);
    }
    return status;
}

void ilrl_traj_state_free(struct ilrl_traj_state *state)
{
    free(state->theta);
    free(state->adam_m);
    free(state->adam_v);
    memset(state, 0, sizeof *state);
}

int ilrl_file_kind(const char *path, char **kind)
{
    struct ilrl_ncfile file;
    int found = 0;
    *kind = NULL;
    int status = ilrl_ncfile_open(&file, path);
    if (status == ILRL_OK)
        status = ilrl_ncfile_close(&file, ilrl_ncfile_get_text(&file, NC_GLOBAL, "ilrl_file_kind",
                                                               kind, &found));
    if (status == ILRL_OK && !found) {
        *kind = strdup("");
        if (*kind == NULL)
            status = ilrl_error(ILRL_EFAILED, "out of memory");
    }
    return status;
}

/* trajectory_io.h -- the trajectory file of a training run (docs/formats.md,
 * "Trajectory file"), in memory and on disk.
 *
 * One row per recorded update (ilrl-train: one per IL epoch, one per RL
 * update), checkpoints of theta, the run's settings as attributes, and --
 * in a checkpoint file OUT.partial only -- the state a resumed run needs
 * (theta, Adam's moments and step, the counters of train.c).
 *
 * NetCDF-4 through ncfile.h.  Dimensions update (unlimited), checkpoint
 * (unlimited), param.  Global attributes ilrl_file_kind = "trajectory",
 * layer_sizes, activation, settings (the canonical settings line a resume
 * must match), every setting on its own, history, mpi_ranks.  The
 * per-update arrays are listed in struct ilrl_traj_row; NaN marks "not
 * measured" (no evaluation that update, no demo).
 */
#ifndef ILRL_TRAJECTORY_IO_H
#define ILRL_TRAJECTORY_IO_H

#include <stddef.h>

#include "ilrl/mlp.h"

#define ILRL_TRAJECTORY_KIND "trajectory"

struct ilrl_traj_row {
    int phase;                /* 0 IL, 1 RL */
    long long update;         /* Adam steps so far (this run's optimiser) */
    long long env_steps;      /* cumulative environment steps */
    long long samples;        /* cumulative demo samples trained on */
    double il_loss_train;     /* L_IL on the demo's training episodes */
    double il_loss_val;       /* L_IL on the held-out episodes */
    double rl_loss_demo;      /* L_RL (return weights) on the demo */
    double return_mean;       /* sampled episodes of the update */
    double score_mean;
    double length_mean;
    double eval_return;       /* greedy evaluation, NaN when not evaluated */
    double eval_score;
    double grad_norm;         /* of the last gradient of the row */
    double cos_il_rl;         /* cos(-grad L_IL, the update's theta change) */
    double wall_seconds;      /* since the start of the run (resumes included) */
};

/* Names of the row's double columns in file order, for tools and tests. */
#define ILRL_TRAJ_N_DOUBLES 11
extern const char *const ilrl_traj_double_names[ILRL_TRAJ_N_DOUBLES];

/* What a resumed run needs besides rows and checkpoints. */
struct ilrl_traj_state {
    int present;
    double *theta, *adam_m, *adam_v;      /* n_params each */
    long long counter[8];                 /* train.c's counters, its meaning */
    double best_val, wall_seconds;
};

struct ilrl_trajectory {
    size_t n_params;
    size_t n_rows, cap_rows;
    struct ilrl_traj_row *rows;
    size_t n_checkpoints, cap_checkpoints;
    double *ck_theta;                      /* n_checkpoints x n_params */
    long long *ck_update, *ck_env_steps;
    int *ck_phase;
};

/* One setting for the attributes: text when `text` is not NULL, else the
 * number (written as a double) or, with is_integer, as an int64. */
struct ilrl_traj_attr {
    const char *name;
    const char *text;
    double number;
    long long integer;
    int is_integer;
};

/* Empty trajectory of n_params; ILRL_OK or ILRL_EFAILED. */
int ilrl_trajectory_init(struct ilrl_trajectory *traj, size_t n_params);
void ilrl_trajectory_free(struct ilrl_trajectory *traj);
int ilrl_trajectory_add_row(struct ilrl_trajectory *traj, const struct ilrl_traj_row *row);
int ilrl_trajectory_add_checkpoint(struct ilrl_trajectory *traj, const double *theta,
                                   long long update, long long env_steps, int phase);
/* Writes the trajectory (and `state` when not NULL and present) to path,
 * no clobber without force. */
int ilrl_trajectory_write(const char *path, const struct ilrl_trajectory *traj,
                          const struct ilrl_mlp *mlp, const char *settings,
                          const struct ilrl_traj_attr *attrs, size_t n_attrs,
                          const struct ilrl_traj_state *state, int force);

/* Reads a trajectory file: rows, checkpoints, shape (*mlp new), the
 * settings line (*settings new) and, when state is not NULL, the resume
 * state if the file has one (state->present).  ILRL_EINPUT naming the file
 * and the item at fault. */
int ilrl_trajectory_read(const char *path, struct ilrl_trajectory *traj,
                         struct ilrl_mlp **mlp, char **settings,
                         struct ilrl_traj_state *state);
void ilrl_traj_state_free(struct ilrl_traj_state *state);

/* The kind of a project file: its ilrl_file_kind attribute in a new
 * string (*kind; "" when absent).  ILRL_EINPUT when unreadable. */
int ilrl_file_kind(const char *path, char **kind);

#endif /* ILRL_TRAJECTORY_IO_H */

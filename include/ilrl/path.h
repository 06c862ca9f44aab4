/* path.h -- a training path (docs/planes.md): the checkpoints of theta that
 * a trajectory file holds (all of them, or one phase's), the plane of their
 * two leading directions, and where each checkpoint lies relative to any
 * plane.  Plain arrays and GSL; no MPI; the file is read through
 * trajectory_io.h.
 *
 * The trajectory plane (ilrl_path_pca), as Li et al. (2018) draw a training
 * path: the rows of A are theta_k - theta_ref over the n checkpoints; d_x and
 * d_y are A's two leading right singular vectors (GSL's one-sided SVD
 * gsl_linalg_SV_decomp, which wants rows >= columns: for P >= n it
 * decomposes the P x n matrix A^T, whose left singular vectors are A's
 * right ones; otherwise A itself).  The rows are not centred: the plane
 * passes through theta_ref, where the landscape is centred.  Explained
 * variance of direction i: sigma_i^2 / sum_j sigma_j^2 (so the two sum to
 * at most 1).  Sign convention, so the result never depends on the SVD's
 * arbitrary signs: each direction's entry of largest magnitude (the first
 * of equal ones) is positive.  A path whose second singular value is below
 * 1e-12 of the first (all checkpoints on one line through theta_ref, or all
 * equal to it) has no plane: ILRL_EINPUT.
 *
 * The path on a plane (ilrl_path_project): theta_k - theta0 = x d_x + y d_y
 * + r in the least-squares sense (the 2 x 2 normal equations, so d_x and
 * d_y need not be orthogonal; solved by Cramer's rule), residual = |r| /
 * |theta_k - theta0| (0 when theta_k = theta0).  Every sum runs in index
 * order, so the same inputs give the same bits on every rank and run.
 */
#ifndef ILRL_PATH_H
#define ILRL_PATH_H

#include <stddef.h>

#include "ilrl/mlp.h"

/* The phase filter: every checkpoint, or one phase's (the trajectory
 * file's checkpoint_phase: 0 imitation, 1 reinforcement). */
#define ILRL_PATH_ALL (-1)
#define ILRL_PATH_IL 0
#define ILRL_PATH_RL 1

struct ilrl_path {
    char *file;                 /* the trajectory file */
    int phase;                  /* ILRL_PATH_ALL, _IL or _RL: what was kept */
    size_t n_checkpoints;       /* n >= 1 kept, in file order */
    size_t n_params;            /* P */
    double *theta;              /* n x P */
    int *checkpoint_phase;      /* n: 0 IL, 1 RL */
    long long *update;          /* n: optimiser steps at the checkpoint */
    long long *env_steps;       /* n: environment steps at the checkpoint */
    long long *index;           /* n: the checkpoint's number in the file (from 0) */
    struct ilrl_mlp *mlp;       /* the file's network shape */
};

/* "all", "il", "rl". */
const char *ilrl_path_phase_name(int phase);

/* Reads FILE[:PHASE] (PHASE il, rl or all; the naming rule of
 * network_source.h) given to `option` ("--path", "--plane trajectory:")
 * into *path (zeroed first; free with ilrl_path_free, also after a
 * failure).  ILRL_EUSAGE naming the option: PHASE is not il, rl or all.
 * ILRL_EINPUT naming the file: unreadable, not a trajectory file, no
 * checkpoint at all or none of that phase. */
int ilrl_path_read(const char *option, const char *spec, struct ilrl_path *path);
void ilrl_path_free(struct ilrl_path *path);

/* The trajectory plane of the n checkpoints theta (n x P) around ref (P):
 * unit d_x, d_y (P each) and their explained-variance ratios (see above).
 * ILRL_OK, ILRL_EINPUT (no plane: message without a file name, for the
 * caller to prefix) or ILRL_EFAILED (out of memory). */
int ilrl_path_pca(size_t n, size_t n_params, const double *theta, const double *ref,
                  double *direction_x, double *direction_y, double explained_variance[2]);

/* The n checkpoints on the plane theta0 + x d_x + y d_y (see above): x, y
 * and residual receive n values each.  d_x and d_y must be linearly
 * independent (every plane the engine builds is). */
void ilrl_path_project(size_t n, size_t n_params, const double *theta, const double *theta0,
                       const double *direction_x, const double *direction_y, double *x,
                       double *y, double *residual);

#endif /* ILRL_PATH_H */

/* landscape_path.h -- what a landscape run takes from trained networks and
 * training paths (docs/planes.md): theta0's file (--theta FILE[:K], or the
 * trajectory plane's reference), the trajectory plane's path, and the path
 * the landscape file shows (--path, else the trajectory plane's own) with
 * its arrays.  Rank 0's set-up (landscape.c calls it); no MPI, and the
 * files are read by network_source.h and path.h.
 *
 * Decisions:
 *  - theta0: --theta's network; else, on a trajectory plane, the path's last
 *    checkpoint kept (its reference); else none here (--seed's).  The file
 *    decides the layer sizes and activation: --layers and --activation may
 *    repeat them, a conflict is ILRL_EUSAGE; a network that does not map the
 *    demo's features to its actions, or a trajectory plane's path of
 *    another network than --theta's, is ILRL_EINPUT naming the file.
 *  - The trajectory plane's default window: the usual [-1, 1] says nothing
 *    about a path whose checkpoints lie 0.01 or 100 away from its
 *    reference, so each axis spans the path's coordinates and 0 (theta0),
 *    widened by a quarter of that span on either side.
 *  - The path's values (every point array at theta_k itself) are computed
 *    on rank 0 during set-up, before any tile, in checkpoint order, by the
 *    grid's own code: an evaluator centred on theta_k with zero directions,
 *    at (0, 0) (theta_k + 0 d_x + 0 d_y is theta_k exactly), and for the
 *    return objective the rollouts of point number nx * ny + k of the
 *    grid's seeding.  So the arrays depend on the settings alone, never on
 *    the rank count or on resumes.  Rank 0 and not the tiles' schedule: a
 *    path has tens to a few hundred checkpoints against ~10^4 grid points
 *    (about 1 % of the work of a 101 x 101 grid for 100 checkpoints), only
 *    rank 0 holds the path (K x P doubles), and the tiles' format, journal
 *    and resume stay as they are.  A resumed run computes them again (the
 *    same bits); a stop during them leaves the rest NaN in the checkpoint.
 */
#ifndef ILRL_LANDSCAPE_PATH_H
#define ILRL_LANDSCAPE_PATH_H

#include <stddef.h>

#include "ilrl/evaluator.h"
#include "ilrl/landscape_grid.h"
#include "ilrl/loss.h"
#include "ilrl/mlp.h"
#include "ilrl/network_source.h"
#include "ilrl/path.h"
#include "ilrl/plane.h"
#include "ilrl/rollout.h"

struct ilrl_landscape_paths {
    struct ilrl_network_source theta;   /* theta0's file; mlp NULL: --seed's */
    struct ilrl_path plane;             /* --plane trajectory:'s; mlp NULL: another plane */
    struct ilrl_path overlay;           /* --path's; mlp NULL: none */
    double explained_variance[2];       /* the trajectory plane's, once built */
};

/* The command line's part, and the demonstration the network must fit. */
struct ilrl_landscape_paths_request {
    const char *theta;                  /* --theta FILE[:K], or NULL */
    const char *plane;                  /* --plane, or NULL */
    const char *layers;                 /* --layers, or NULL */
    int activation_given;
    enum ilrl_activation activation;
    size_t n_features;                  /* the demo's D and K */
    size_t n_actions;
    const char *demo_origin;            /* the demo's name, for messages */
};

/* Reads the trajectory plane's path and theta0's file (see the decisions)
 * into *paths (zeroed first; free with ilrl_landscape_paths_free, also after
 * a failure).  paths->theta.mlp stays NULL when theta0 is --seed's. */
int ilrl_landscape_paths_read(struct ilrl_landscape_paths *paths,
                              const struct ilrl_landscape_paths_request *request);

/* --path FILE[:PHASE] (spec NULL: nothing), whose network must be mlp's
 * (ILRL_EINPUT naming the file). */
int ilrl_landscape_paths_read_overlay(struct ilrl_landscape_paths *paths, const char *spec,
                                      const struct ilrl_mlp *mlp);

/* Gives a trajectory plane its path and where its explained variances go
 * (plane.h); other planes are left alone. */
void ilrl_landscape_paths_attach(struct ilrl_landscape_paths *paths,
                                 struct ilrl_plane_spec *plane);

/* The trajectory plane's default window (see the decisions) into range
 * {x_min, x_max, y_min, y_max}; ILRL_OK or ILRL_EFAILED. */
int ilrl_landscape_paths_window(const struct ilrl_landscape_paths *paths, size_t n_params,
                                const double *theta0, const double *direction_x,
                                const double *direction_y, double range[4]);

/* What evaluating a checkpoint takes: the grid's own pieces. */
struct ilrl_path_evaluation {
    const struct ilrl_mlp *mlp;
    const struct ilrl_loss_data *data;
    enum ilrl_dense_path dense_path;
    const struct ilrl_value_plan *plan;         /* NULL: no td or cql */
    double cql_alpha;
    int want_td, want_cql;
    const struct ilrl_rollout_options *rollout; /* NULL: no return objective */
    struct ilrl_rollout_work *rollout_work;
    unsigned long run_seed;
    size_t first_point;                         /* nx * ny: checkpoint k is point first_point + k */
    int (*poll)(void *);                        /* a stop asked for: nonzero */
    void *poll_ctx;
};

/* Into the landscape (its point arrays, theta0 and directions final): the
 * attributes theta_file, theta_checkpoint, explained_variance, path_file,
 * path_phase, and the path shown with its coordinates, residuals, counters
 * and values.  A stop leaves the remaining values NaN and returns ILRL_OK
 * (the schedule then stops and checkpoints).  ILRL_OK or ILRL_EFAILED. */
int ilrl_landscape_paths_store(const struct ilrl_landscape_paths *paths,
                               struct ilrl_landscape *landscape,
                               const struct ilrl_path_evaluation *evaluation);

void ilrl_landscape_paths_free(struct ilrl_landscape_paths *paths);

#endif /* ILRL_LANDSCAPE_PATH_H */

/* plane.h -- the plane of weights a landscape is drawn on (docs/planes.md).
 *
 * theta(x, y) = theta0 + x * d_x + y * d_y.  Three kinds:
 *  - weights:NAME1,NAME2  unit vectors on two entries of theta; x, y are
 *    offsets from their initial values.  Default: the flap logit's weights
 *    from the last hidden layer's units 0 and 1, "WL[K-1,0],WL[K-1,1]" (see
 *    ilrl_plane_default_weights: the seed's "couple of weights").
 *  - random[:SEED]  two Gaussian directions (gsl_rng_mt19937 seeded SEED,
 *    default 1, d_x's P draws then d_y's), filter-normalised as in Li et al.
 *    2018: row i of each weight matrix rescaled to ||theta0 row i||; biases 0.
 *  - gradients  d_x = grad L_IL(theta0) normalised; d_y = the part of
 *    grad L_RL(theta0) orthogonal to d_x, normalised.  When that part is
 *    (numerically) zero -- RL's gradient (anti)parallel to IL's -- or IL's
 *    gradient vanishes, the missing direction is taken from random:1,
 *    orthogonalised, and `degenerate` is set so the caller can warn.
 *  - trajectory:FILE[:PHASE]  the plane of a training path (path.h): the
 *    two leading right singular vectors of the rows theta_k - theta0 over
 *    the path's checkpoints (all, or phase il's or rl's), theta0 being the
 *    path's reference (its last checkpoint, or --theta's); their
 *    explained-variance ratios are written to spec->explained_variance.
 *    The caller reads the path (ilrl_path_read) and sets spec->path before
 *    ilrl_plane_build; fewer than 3 checkpoints, or a path on one line, is
 *    ILRL_EINPUT naming the file.
 * gradient_cosine = cos(grad L_IL, grad L_RL) at theta0, for every kind
 * (0 when either gradient is zero).
 */
#ifndef ILRL_PLANE_H
#define ILRL_PLANE_H

#include <stddef.h>

#include "ilrl/loss.h"
#include "ilrl/mlp.h"

enum ilrl_plane_kind {
    ILRL_PLANE_WEIGHTS = 0,
    ILRL_PLANE_RANDOM = 1,
    ILRL_PLANE_GRADIENTS = 2,
    ILRL_PLANE_TRAJECTORY = 3
};

#define ILRL_PLANE_NAME_SIZE 64
#define ILRL_PLANE_TEXT_SIZE 4096

struct ilrl_path;

struct ilrl_plane_spec {
    enum ilrl_plane_kind kind;
    char name_x[ILRL_PLANE_NAME_SIZE];   /* weights: parameter names */
    char name_y[ILRL_PLANE_NAME_SIZE];
    unsigned long random_seed;            /* random (and degenerate fallback) */
    /* trajectory: FILE[:PHASE] as given; the path, and where the build
     * writes the explained-variance ratios (both set by the caller). */
    char trajectory[ILRL_PLANE_TEXT_SIZE];
    const struct ilrl_path *path;
    double *explained_variance;           /* 2 doubles */
};

/* Parses a --plane value; "" or NULL means the default weights pair for
 * `mlp`.  ILRL_EUSAGE with the value named on a malformed spec; names are
 * checked against the network in ilrl_plane_build. */
int ilrl_plane_parse(const char *text, const struct ilrl_mlp *mlp,
                     struct ilrl_plane_spec *spec);

/* The canonical text ("weights:W3[1,0],W3[1,1]", "random:1", "gradients",
 * "trajectory:run.nc:il" -- the file and the phase unless all, once the path
 * is set). */
void ilrl_plane_format(const struct ilrl_plane_spec *spec, char *buf, size_t buf_size);

/* Builds d_x and d_y (n_params each) for theta0.  Needs the loss data and
 * workspace for gradients and gradient_cosine.  Returns ILRL_OK, ILRL_EUSAGE
 * (a weight name outside the network, the same weight twice), ILRL_EINPUT
 * (a trajectory path that spans no plane) or ILRL_EFAILED (out of memory). */
int ilrl_plane_build(const struct ilrl_plane_spec *spec, const struct ilrl_mlp *mlp,
                     const double *theta0, const struct ilrl_loss_data *data,
                     struct ilrl_loss_work *work, double *direction_x,
                     double *direction_y, double *gradient_cosine, int *degenerate);

/* theta = theta0 + x * d_x + y * d_y, entry by entry in one fixed order, so
 * that every rank forms bit-identical parameters for a point. */
void ilrl_plane_point(size_t n_params, const double *theta0, const double *direction_x,
                      const double *direction_y, double x, double y, double *theta);

#endif /* ILRL_PLANE_H */

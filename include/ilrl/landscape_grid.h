/* landscape_grid.h -- a landscape in memory: the grid of losses (and
 * returns) over a plane of one network's weights, the plane itself and the
 * run's settings.  No file format here: landscape_io.h reads and writes it
 * (docs/formats.md), the engine (landscape.h) fills it, compare.h and the
 * pilots read it.
 *
 * The whole grid lives on rank 0 only.  Arrays are (y, x) row-major: point
 * (i, j) with i the x index and j the y index is element j * nx + i.
 */
#ifndef ILRL_LANDSCAPE_GRID_H
#define ILRL_LANDSCAPE_GRID_H

#include <stddef.h>

struct ilrl_landscape_meta {
    char *title;
    char *history;            /* full command line, timestamped */
    char *source;             /* "ilrl-landscape 0.1.0" */
    int *layer_sizes;         /* n_layer_sizes entries */
    size_t n_layer_sizes;
    char *activation;         /* "tanh" | "relu" */
    long init_seed;
    char *plane;              /* "weights:W3[0,0],W3[1,0]", "random:7", "gradients" */
    char *rl_weight;          /* "return", "advantage", "awr:0.5" */
    double gamma;
    char *demo_file;          /* path, or "built-in:poor" */
    char *demo_checksum;      /* hex digest of the demo's arrays (resume check) */
    long n_steps;
    long n_episodes;
    double gradient_cosine;
    int mpi_ranks;
    int tile[2];              /* tile size in points: {ny, nx} */
    double wall_seconds;
    char *objective;          /* "losses" or "return" */
    /* --objective return only (docs/return-surface.md); ignored otherwise. */
    long rollouts;
    long rollout_steps;
    char *rollout_policy;     /* "greedy" | "sample" */
    char *reward_scheme;      /* the demo's ("sparse" | "shaped"), replayed by
                                 `ilrl-demo --pilot network:`; "" when absent */
    char *dense_kernel;       /* the evaluator's dense path: "avx512" | "dgemm"
                                 | "none" (weights planes); "" when absent */
    /* Value objectives (docs/value-objectives.md): meaningful when td_loss
     * or cql_loss is allocated; "" / NaN / -1 otherwise. */
    char *td_target;          /* "frozen" | "same" */
    double cql_alpha;         /* the CQL regulariser's weight (NaN without cql) */
    long td_steps;            /* N': steps with a TD target */
    long td_left_out;         /* N - N': truncated last steps without final_obs */
    double gradient_cosine_il_td;   /* cos(grad L_IL, semi-grad L_TD) at theta0 */
    double gradient_cosine_rl_td;   /* cos(grad L_RL, semi-grad L_TD) at theta0 */
    /* theta0 from a file (--theta FILE[:K], or the trajectory plane's
     * reference): the file, "" when theta0 is --seed's initialisation, and
     * the trajectory checkpoint's index, -1 for a network file or none. */
    char *theta_file;
    long theta_checkpoint;
    /* The training path (landscape->path): its file and phase filter ("all",
     * "il", "rl"); "" without a path.  The trajectory plane's
     * explained-variance ratios of d_x and d_y; NaN for other planes. */
    char *path_file;
    char *path_phase;
    double explained_variance[2];
};

#define ILRL_LANDSCAPE_MAX_POINT_ARRAYS 8

/* A training path on the plane (docs/planes.md: --path, and the trajectory
 * plane's own): one entry per checkpoint kept.  values[a] is point array
 * a's value (the order of ilrl_landscape_point_arrays) at theta_k itself,
 * not at its projection; NaN while not computed. */
struct ilrl_landscape_path {
    size_t n;                     /* checkpoints, >= 1 */
    double *x, *y;                /* least-squares coordinates on the plane */
    double *residual;             /* |off-plane part| / |theta_k - theta0| */
    size_t n_values;              /* = the landscape's point arrays */
    double *values[ILRL_LANDSCAPE_MAX_POINT_ARRAYS];
    int *phase;                   /* 0 IL, 1 RL */
    long long *env_steps, *update;
    long long *index;             /* the checkpoint's number in path_file */
};

struct ilrl_landscape {
    size_t nx, ny;            /* grid, >= 1 each */
    size_t n_params;          /* P */
    double *x;                /* nx coordinates */
    double *y;                /* ny coordinates */
    double *il_loss;          /* ny * nx, NaN where not computed */
    double *rl_loss;          /* ny * nx, NaN where not computed */
    unsigned char *computed;  /* ny * nx, 1 once the point holds its values */
    double *theta0;           /* P */
    double *direction_x;      /* P */
    double *direction_y;      /* P */
    /* Return objective (docs/return-surface.md): all NULL unless allocated
     * with_return. */
    double *return_mean, *return_std, *score_mean, *length_mean;
    /* Value objectives (docs/value-objectives.md): NULL unless added with
     * ilrl_landscape_add_value_arrays. */
    double *td_loss, *cql_loss;
    struct ilrl_landscape_path *path;  /* NULL: no training path */
    struct ilrl_landscape_meta meta;  /* strings owned; "" when unknown */
};

/* Allocates a grid with every point uncomputed (NaN losses, computed = 0) and
 * empty metadata.  NULL on a zero size or out of memory. */
struct ilrl_landscape *ilrl_landscape_alloc(size_t nx, size_t ny,
                                            size_t n_params, int with_return);
void ilrl_landscape_free(struct ilrl_landscape *landscape);

/* Gives the landscape NaN-filled td_loss and/or cql_loss arrays (those not
 * already there).  ILRL_OK, or ILRL_EFAILED out of memory. */
int ilrl_landscape_add_value_arrays(struct ilrl_landscape *landscape, int with_td,
                                    int with_cql);

/* The per-point arrays in their fixed order -- il_loss, rl_loss, then
 * td_loss and cql_loss when present, then return_mean, return_std,
 * score_mean, length_mean when the landscape has a return surface -- which
 * is also the order of a point's values in the engine's tiles.  Fills
 * `arrays` (and `names`, if not NULL, with the arrays' variable names) and
 * returns how many (2 to 8). */
size_t ilrl_landscape_point_arrays(const struct ilrl_landscape *landscape,
                                   double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS]);
size_t ilrl_landscape_point_array_names(const struct ilrl_landscape *landscape,
                                        const char *names[ILRL_LANDSCAPE_MAX_POINT_ARRAYS]);

/* Gives the landscape a path of n checkpoints, with one value array per
 * point array it has now (add the value arrays first): zero coordinates and
 * counters, NaN values.  ILRL_OK, or ILRL_EFAILED (n = 0, out of memory). */
int ilrl_landscape_add_path(struct ilrl_landscape *landscape, size_t n);

/* Replaces a metadata string with a copy (ILRL_OK or ILRL_EFAILED). */
int ilrl_landscape_set_string(char **field, const char *value);

#endif /* ILRL_LANDSCAPE_GRID_H */

/* landscape_io.h -- the landscape file (NetCDF-4, SPEC §8): the only reader
 * and writer of it in the project.
 *
 * The in-memory landscape holds the whole grid (rank 0 only), the plane and
 * the run's settings.  Arrays are (y, x) row-major: point (i, j) with i the x
 * index and j the y index is element j * nx + i.
 *
 * Writing is atomic (output_file.h): the file's size is reserved under
 * PATH.tmp.<pid> in the same directory, the file is written there, synced
 * (nc_close, then fsync of the file), moved over the target and the
 * directory is fsynced, so a kill at any instant leaves either the previous
 * file or the new one under the target name (HDF5 does not journal), and a
 * full disk is an ordinary error before HDF5 writes a byte.  Checkpoints use
 * the same path with overwrite allowed.
 */
#ifndef ILRL_LANDSCAPE_IO_H
#define ILRL_LANDSCAPE_IO_H

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
    /* --objective return only (SPEC §11); ignored otherwise. */
    long rollouts;
    long rollout_steps;
    char *rollout_policy;     /* "greedy" | "sample" */
    char *reward_scheme;      /* the demo's ("sparse" | "shaped"), replayed by
                                 `ilrl-demo --pilot network:`; "" when absent */
    char *dense_kernel;       /* the evaluator's dense path: "avx512" | "dgemm"
                                 | "none" (weights planes); "" when absent */
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
    /* Return objective (SPEC §11): all NULL unless allocated with_return. */
    double *return_mean, *return_std, *score_mean, *length_mean;
    struct ilrl_landscape_meta meta;  /* strings owned; "" when unknown */
};

/* Allocates a grid with every point uncomputed (NaN losses, computed = 0) and
 * empty metadata.  NULL on a zero size or out of memory. */
struct ilrl_landscape *ilrl_landscape_alloc(size_t nx, size_t ny,
                                            size_t n_params, int with_return);
void ilrl_landscape_free(struct ilrl_landscape *landscape);

/* The per-point arrays in their fixed order -- il_loss, rl_loss, then
 * return_mean, return_std, score_mean, length_mean when the landscape has a
 * return surface -- which is also the order of a point's values in the
 * engine's tiles.  Fills `arrays` and returns how many (2 or 6). */
#define ILRL_LANDSCAPE_MAX_POINT_ARRAYS 6
size_t ilrl_landscape_point_arrays(const struct ilrl_landscape *landscape,
                                   double *arrays[ILRL_LANDSCAPE_MAX_POINT_ARRAYS]);

/* Replaces a metadata string with a copy (ILRL_OK or ILRL_EFAILED). */
int ilrl_landscape_set_string(char **field, const char *value);

/* Writes the whole landscape to `path` atomically (see above).  If !force and
 * `path` exists: ILRL_EOUTPUT ("PATH exists (use --force to overwrite)"),
 * nothing touched.  Unwritable directory or disk full: ILRL_EOUTPUT ("...
 * (PATH not written)") with the temporary removed and `path` untouched. */
int ilrl_landscape_write(const char *path, const struct ilrl_landscape *landscape,
                         int force);

/* Reads and validates a landscape file: ilrl_file_kind = "landscape", the
 * dimensions and shapes of SPEC §8, required attributes.  ILRL_EINPUT naming
 * the file and the problem otherwise. */
int ilrl_landscape_read(const char *path, struct ilrl_landscape **out);

#endif /* ILRL_LANDSCAPE_IO_H */

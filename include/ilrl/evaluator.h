/* evaluator.h -- L_IL and L_RL at many points of one plane, fast.
 *
 * The landscape engine asks for the losses at theta0 + x d_x + y d_y for a
 * row of points at a time.  The evaluator returns the same values as
 * ilrl_loss_eval at each point's theta (to 1e-12 relative), exploiting the
 * plane's structure, chosen once at alloc time from the directions:
 *  - weights planes (each direction is a unit vector on one entry): layers
 *    before the first perturbed weight are computed once for the whole grid;
 *    a perturbed weight changes one unit's pre-activation by a rank-one term;
 *    when both weights are in the output layer a point costs a few
 *    multiply-adds and a log-sum-exp per sample;
 *  - dense planes (random, gradients): the first layer is linear in theta, so
 *    X W(x, y)^T = X W0^T + x X Dx^T + y X Dy^T is formed from three products
 *    computed once; later layers are one dgemm per layer per point block,
 *    or, on AVX-512 CPUs, the fused kernel of dense_kernel.h.
 * With a value plan (ilrl_evaluator_set_value) the same pass also gives
 * L_TD and L_CQL (docs/value-objectives.md) from the logits every path
 * already forms: a pick (and for the "same" target a max) per row, and for
 * "same" the forward pass of the plan's final_obs rows at the point's theta.
 * A point's values depend only on (x, y) and the evaluator's inputs, never on
 * which other points share the call, so results are bit-identical whatever
 * the tiling, rank count or resume history.
 */
#ifndef ILRL_EVALUATOR_H
#define ILRL_EVALUATOR_H

#include <stddef.h>

#include "ilrl/loss.h"
#include "ilrl/mlp.h"

struct ilrl_evaluator;

/* The dense planes' two paths.  They agree to ~1e-15, not bit for bit, so
 * the caller chooses once for everything that must share bits (all ranks of
 * a run, a run and its resume); the evaluator never decides it alone. */
enum ilrl_dense_path {
    ILRL_DENSE_DGEMM = 0,   /* one dgemm per layer: any CPU */
    ILRL_DENSE_AVX512 = 1   /* the fused kernel when the CPU and the shape
                               allow it (dense_kernel.h), else dgemm */
};

/* This process's own preference (CPU flags, ILRL_DENSE_KERNEL=dgemm). */
enum ilrl_dense_path ilrl_evaluator_wanted_path(void);

/* Prepares the evaluation of up to max_points points per call; a dense plane
 * takes dense_path.  Arrays are borrowed and must outlive the evaluator.
 * NULL (error recorded) on OOM. */
struct ilrl_evaluator *ilrl_evaluator_alloc(const struct ilrl_mlp *mlp,
                                            const double *theta0,
                                            const double *direction_x,
                                            const double *direction_y,
                                            const struct ilrl_loss_data *data,
                                            size_t max_points,
                                            enum ilrl_dense_path dense_path);
void ilrl_evaluator_free(struct ilrl_evaluator *evaluator);

/* The per-sample caches above (weights planes: a layer's pre-activation,
 * activation and input columns; dense planes: the three layer-1 products)
 * depend on the samples, theta0 and the directions only, so the ranks of a
 * node can share one copy (node_share.h).  ilrl_evaluator_cache_size: their
 * doubles for this plane.  ilrl_evaluator_alloc_cached: the same evaluator
 * with the caches in `cache` (that many doubles, borrowed, or NULL: its
 * own), computed there if `fill`, else taken as computed by another
 * evaluator of the same inputs (the same bits).  ilrl_evaluator_move_cache:
 * copies an evaluator's caches into `cache` and borrows them from then on
 * (its own are freed). */
size_t ilrl_evaluator_cache_size(const struct ilrl_mlp *mlp, const double *direction_x,
                                 const double *direction_y, size_t n_steps);
struct ilrl_evaluator *ilrl_evaluator_alloc_cached(const struct ilrl_mlp *mlp,
                                                   const double *theta0,
                                                   const double *direction_x,
                                                   const double *direction_y,
                                                   const struct ilrl_loss_data *data,
                                                   size_t max_points,
                                                   enum ilrl_dense_path dense_path,
                                                   double *cache, int fill);
void ilrl_evaluator_move_cache(struct ilrl_evaluator *evaluator, double *cache);

/* An upper bound of the bytes ilrl_evaluator_alloc takes for n_steps samples
 * (any plane), to check against the memory available before allocating. */
double ilrl_evaluator_bytes(const struct ilrl_mlp *mlp, size_t n_steps, size_t max_points);

/* "weights-output", "weights-hidden", "dense" (the dgemm path) or
 * "dense-fused" (dense_kernel.h): the path chosen. */
const char *ilrl_evaluator_mode(const struct ilrl_evaluator *evaluator);

/* The same as the landscape file's dense_kernel attribute: "none" (a
 * weights plane), "dgemm" or "avx512". */
const char *ilrl_evaluator_dense_kernel(const struct ilrl_evaluator *evaluator);

/* Losses at the n_points points (x[k], y[k]); n_points <= max_points.  No
 * allocation. */
void ilrl_evaluator_eval(struct ilrl_evaluator *evaluator, const double *x,
                         const double *y, size_t n_points, double *il_loss,
                         double *rl_loss);

/* Makes the evaluator compute L_TD and L_CQL too, for the plan (borrowed:
 * it must outlive the evaluator; built on the same samples; frozen already
 * if its target is "frozen") and the CQL weight alpha.  ILRL_OK, or
 * ILRL_EFAILED out of memory (the "same" target keeps 2 N + F doubles per
 * point of a group). */
struct ilrl_value_plan;
int ilrl_evaluator_set_value(struct ilrl_evaluator *evaluator,
                             const struct ilrl_value_plan *plan, double alpha);

/* ilrl_evaluator_eval plus td_loss and cql_loss (each may be NULL: not
 * wanted; non-NULL needs ilrl_evaluator_set_value first).  A point's L_TD
 * equals ilrl_value_loss_eval's at its theta to ~1e-15 relative: the sum
 * runs in step order over the same per-row numbers (value_loss.h), so only
 * the logits' rounding differs; L_CQL = L_TD + alpha L_IL with the point's
 * own L_IL, exactly value_loss.c's expression. */
void ilrl_evaluator_eval_all(struct ilrl_evaluator *evaluator, const double *x,
                             const double *y, size_t n_points, double *il_loss,
                             double *rl_loss, double *td_loss, double *cql_loss);

#endif /* ILRL_EVALUATOR_H */

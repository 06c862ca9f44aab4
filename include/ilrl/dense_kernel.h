/* dense_kernel.h -- the dense planes' forward pass, fused, in AVX-512
 * registers (the random and gradients planes: every weight moves).
 *
 * The dgemm path of the evaluator (one OpenBLAS call per layer per 256-row
 * block, then a separate pass for the tanh) spent ~45% of a sample in the
 * dgemm and ~35% in the tanh, streaming each 256 x 64 block through L2
 * twice.  This kernel takes a small block of rows (ILRL_DENSE_ROWS) through
 * every layer while it sits in L1:
 *
 *   layer 1: tanh(P0 + x Px + y Py) from the evaluator's three cached
 *            products (layer 1, bias included, is linear in theta);
 *   hidden layers 2 .. L-1: a register-tiled product (3 rows x up to 64
 *            outputs in 24 zmm accumulators, seeded with the bias), the tanh
 *            applied in registers before the tile is stored;
 *   output layer: one dot product per row and action.
 *
 * Its tanh (tanh8 in dense_kernel.c) is u / (u + 2) with u = expm1(2z), z
 * clamped to [-20, 20]: a 16-entry table of 2^(j/16) held in two registers
 * (one permute), a degree-6 polynomial and one division, 18 instructions;
 * relative error <= 5e-15 against libm's tanh everywhere, tiny arguments
 * included (tests/check_dense_kernel.c; the issue asks 1e-13).  Measured
 * on one Zen 4 core: 4.35e6 sample-evaluations/s for 12,64,64,2 against
 * 2.8e6 for the dgemm path, ~89% of the bound the 64 x 64 layer's FMAs and
 * the 128 tanh set (results/bench.md).
 *
 * It runs when the CPU has AVX-512 (F, DQ) and every hidden layer's width is
 * a multiple of 8 (12,64,64,2 and the like), and the evaluator's caller asked
 * for it; otherwise the evaluator keeps its dgemm path.  Both agree with
 * ilrl_loss_eval to 1e-12 but not bit for bit, so the choice is made once
 * for a whole run: under MPI rank 0 makes it for every rank (landscape.h),
 * from every rank's ilrl_dense_kernel_cpu_supported() and its own
 * ilrl_dense_kernel_wanted().  The kernel itself never reads the
 * environment.  A point's values depend on (x, y) and the inputs only, as
 * everywhere in the evaluator.
 */
#ifndef ILRL_DENSE_KERNEL_H
#define ILRL_DENSE_KERNEL_H

#include <stddef.h>

#include "ilrl/mlp.h"

/* Rows a block carries through all layers (a multiple of 3). */
#define ILRL_DENSE_ROWS 24

struct ilrl_dense_kernel;

/* 1 if this CPU has AVX-512 F and DQ (the kernel can run here). */
int ilrl_dense_kernel_cpu_supported(void);

/* This process's own preference: 1 if the CPU can run the kernel and the
 * environment variable ILRL_DENSE_KERNEL is not "dgemm". */
int ilrl_dense_kernel_wanted(void);

/* 1 if the kernel handles the network's shape: tanh, at least one hidden
 * layer, every hidden width a multiple of 8. */
int ilrl_dense_kernel_fits(const struct ilrl_mlp *mlp);

/* Holds up to n_slots points at once (the evaluator runs a group of points
 * over each block of samples).  NULL when the kernel does not apply (CPU or
 * shape, *out_of_memory = 0) or on OOM (*out_of_memory = 1). */
struct ilrl_dense_kernel *ilrl_dense_kernel_alloc(const struct ilrl_mlp *mlp,
                                                  size_t n_slots, int *out_of_memory);
void ilrl_dense_kernel_free(struct ilrl_dense_kernel *kernel);

/* Takes a point's parameters into slot (< n_slots): packs W^T of the hidden
 * layers and borrows theta for the biases and the output layer, so theta
 * must stay valid while the slot is used (layer 1's weights and bias are not
 * read: they live in the products). */
void ilrl_dense_kernel_set_theta(struct ilrl_dense_kernel *kernel, size_t slot,
                                 const double *theta);

/* Logits (n x K, row-major) at the point in slot, (x, y), of n samples whose
 * layer-1 pre-activations at theta0 and along the two directions (n x H_1
 * each, row-major, bias included) are p0, px, py.  A row's logits depend on
 * its inputs only, not on the other rows of the call. */
void ilrl_dense_kernel_logits(struct ilrl_dense_kernel *kernel, size_t slot,
                              const double *p0, const double *px, const double *py,
                              double x, double y, size_t n, double *logits);

/* tanh over an array with the kernel's tanh (for tests; AVX-512 only:
 * returns 0 without touching v when the CPU lacks it). */
int ilrl_dense_kernel_tanh(double *v, size_t n);

#endif /* ILRL_DENSE_KERNEL_H */

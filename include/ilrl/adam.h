/* adam.h -- the Adam optimiser (Kingma and Ba 2015) over a flat parameter
 * vector, computed exactly as PyTorch's torch.optim.Adam does.
 *
 * One update with gradient g, at step t = 1, 2, ... (t counts updates,
 * including this one), element by element, every operation rounded to
 * double in this order:
 *
 *   m     = fma(g, 1 - beta1, m * beta1)
 *   v     = v * beta2 + ((1 - beta2) * g) * g
 *   c1    = 1 - pow(beta1, t)             c2 = sqrt(1 - pow(beta2, t))
 *   denom = sqrt(v) / c2 + eps
 *   theta = theta + ((-(lr / c1)) * m) / denom
 *
 * This is PyTorch 1.13's _single_tensor_adam (Debian's python3-torch, the
 * benchmark peer; CPU tensors take that path), with amsgrad, maximize and
 * weight_decay off: exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1) -- its
 * vectorised add is vec::fmadd(grad, alpha, m * beta1), one rounding, hence
 * fma() here; exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
 * -- (value * g) * g added, no fusion; step_size = lr / bias_correction1
 * and math.sqrt(bias_correction2) in Python doubles (pow is glibc's, as in
 * Python's float **); denom = (exp_avg_sq.sqrt() / c2).add_(eps);
 * param.addcdiv_(exp_avg, denom, value=-step_size) = theta + (value * m) /
 * denom.  The constants 1 - beta are formed in double as Python does
 * (1 - 0.999 = 0.0010000000000000009).  Where PyTorch's CPU kernels leave
 * the vector path (the last numel mod 8 entries of a tensor, e.g. the
 * 2-entry output bias, run a scalar loop whose a + b * c the compiler may
 * or may not fuse) its last bits may differ; everything else should match
 * bit for bit.  Our own results are identical on every machine with a
 * correctly rounded fma() (glibc's is, in hardware or software).
 *
 * State for checkpoints: m, v (n_params each) and step are public fields;
 * a caller saves them and restores them by copying back (the hyper-
 * parameters are settings of the run, saved with its other settings).  A
 * restored optimiser continues bit for bit as if never interrupted.
 * Knows nothing of MPI, NetCDF or networks.
 */
#ifndef ILRL_ADAM_H
#define ILRL_ADAM_H

#include <stddef.h>
#include <stdint.h>

/* PyTorch's defaults. */
#define ILRL_ADAM_BETA1 0.9
#define ILRL_ADAM_BETA2 0.999
#define ILRL_ADAM_EPS 1e-8

struct ilrl_adam {
    size_t n_params;   /* P >= 1 */
    double lr;         /* learning rate, finite and > 0 */
    double beta1;      /* first-moment decay, in [0, 1) */
    double beta2;      /* second-moment decay, in [0, 1) */
    double eps;        /* added to the denominator, finite and >= 0 */
    uint64_t step;     /* t: updates done so far; 0 after alloc */
    double *m;         /* P: first moment (exp_avg), 0 after alloc */
    double *v;         /* P: second moment (exp_avg_sq), 0 after alloc */
};

/* An optimiser for P parameters with learning rate lr and PyTorch's
 * default betas and eps (change the fields before the first step for
 * others; ilrl_adam_check validates them).  NULL (error recorded) on P = 0,
 * a bad lr (ILRL_EUSAGE wording, "--lr") or out of memory. */
struct ilrl_adam *ilrl_adam_alloc(size_t n_params, double lr);

/* Frees everything; accepts NULL. */
void ilrl_adam_free(struct ilrl_adam *adam);

/* ILRL_OK, or ILRL_EUSAGE naming the first hyper-parameter outside its
 * bounds above (the trainer calls it after setting them from options). */
int ilrl_adam_check(const struct ilrl_adam *adam);

/* Back to the state after alloc: m = v = 0, step = 0. */
void ilrl_adam_reset(struct ilrl_adam *adam);

/* One update of theta[P] with grad[P] (the formula above); step += 1.
 * No allocation, no failure; grad and theta must not overlap m or v. */
void ilrl_adam_step(struct ilrl_adam *adam, double *theta, const double *grad);

#endif /* ILRL_ADAM_H */

/* network_io.h -- the network file (docs/formats.md, "Network file"): one
 * policy network's parameters theta with the shape that gives them meaning
 * (layer sizes, activation).  What `ilrl-train --save-network` writes and
 * `ilrl-train --init` reads besides a checkpoint of a trajectory file.
 *
 * NetCDF-4 through ncfile.h (checked calls, atomic publication, one
 * `history` formatter).  Layout: dimension param (P) and variable
 * theta(param) double; global attributes ilrl_file_kind = "network",
 * layer_sizes (int list D,H1,...,K), activation ("tanh" / "relu"),
 * history, source.  Reading checks the kind, the shape (P must equal the
 * parameter count of layer_sizes) and finite values, and names the file and
 * the item at fault (ILRL_EINPUT).
 */
#ifndef ILRL_NETWORK_IO_H
#define ILRL_NETWORK_IO_H

#include <stddef.h>

#include "ilrl/mlp.h"

#define ILRL_NETWORK_KIND "network"

/* Writes mlp's shape and theta[n_params] to `path` (no clobber without
 * force).  history/source may be NULL (written as "").  ILRL_OK, ILRL_EUSAGE
 * (name), ILRL_EOUTPUT (message names the file). */
int ilrl_network_write(const char *path, const struct ilrl_mlp *mlp,
                       const double *theta, const char *history,
                       const char *source, int force);

/* Reads a network file: *mlp (new shape) and *theta (new array of n_params),
 * both the caller's to free.  ILRL_EINPUT naming the file and the problem. */
int ilrl_network_read(const char *path, struct ilrl_mlp **mlp, double **theta);

/* The network shape of an open file (its `layer_sizes` and `activation`
 * attributes), for every file kind that carries a network (network and
 * trajectory files): *mlp owns a new network on ILRL_OK; ILRL_EINPUT
 * naming the file and the attribute otherwise. */
struct ilrl_ncfile;
int ilrl_network_read_shape(struct ilrl_ncfile *file, struct ilrl_mlp **mlp);

#endif /* ILRL_NETWORK_IO_H */

/* network_source.h -- a trained network named on the command line: FILE[:K]
 * is a network file, or checkpoint K (from 0; default the last) of a
 * trajectory file (docs/formats.md).  What `ilrl-landscape --theta` reads;
 * the same rule as `ilrl-train --init`.  The file decides the layer sizes
 * and the activation; the caller checks them against its own options and
 * its demonstration with the two checks below.
 *
 * FILE[:SUFFIX] (also the FILE[:PHASE] of `--plane trajectory:` and
 * `--path`): when the whole text names an existing file, it is the file,
 * suffix or not; otherwise the text after the last ':' is the suffix and
 * the text before it the file.  So "run.nc:3" is checkpoint 3 of run.nc
 * unless a file named "run.nc:3" exists, exactly as for ilrl-train.
 */
#ifndef ILRL_NETWORK_SOURCE_H
#define ILRL_NETWORK_SOURCE_H

#include <stddef.h>

#include "ilrl/mlp.h"

struct ilrl_network_source {
    char *file;               /* the file, without the ":K" */
    long long checkpoint;     /* K in a trajectory file; -1: a network file */
    struct ilrl_mlp *mlp;     /* the file's shape (layer sizes, activation) */
    double *theta;            /* mlp->n_params */
};

/* Splits FILE[:SUFFIX] by the rule above into new strings *file and
 * *suffix (NULL when there is none); ILRL_OK or ILRL_EFAILED. */
int ilrl_file_suffix_split(const char *text, char **file, char **suffix);

/* Reads `spec` (FILE[:K]) given to `option` ("--theta") into *source
 * (zeroed first; free with ilrl_network_source_free, also after a failure).
 * ILRL_EUSAGE: K is not an integer >= 0, or K given for a network file
 * (naming the option).  ILRL_EINPUT naming the file: unreadable, neither a
 * network nor a trajectory file, no checkpoint K. */
int ilrl_network_source_read(const char *option, const char *spec,
                             struct ilrl_network_source *source);
void ilrl_network_source_free(struct ilrl_network_source *source);

/* Whether two networks have the same layer sizes and activation. */
int ilrl_mlp_same_shape(const struct ilrl_mlp *a, const struct ilrl_mlp *b);

/* "12,64,64,2 tanh": a network's shape for messages. */
void ilrl_mlp_shape_format(const struct ilrl_mlp *mlp, char *buf, size_t buf_size);

/* The command line's network options against a network read from a file
 * (`what` names it: "--theta run.nc:3").  `layers` NULL: --layers not
 * given; `activation_given` 0: --activation not given.  A conflict is
 * ILRL_EUSAGE ("--layers 12,32,2 conflicts with the layer sizes
 * 12,64,64,2 of --theta run.nc:3"); agreeing options are allowed. */
int ilrl_network_source_check_options(const struct ilrl_mlp *mlp, const char *what,
                                      const char *layers, int activation_given,
                                      enum ilrl_activation activation);

#endif /* ILRL_NETWORK_SOURCE_H */

/* version.h -- what every program prints for --version: the package version
 * and the versions of the libraries it is linked with (MPI, GSL, NetCDF,
 * BLAS), read at run time from the libraries themselves. */
#ifndef ILRL_VERSION_H
#define ILRL_VERSION_H

#include <stdio.h>

void ilrl_version_print(FILE *out, const char *program);

#endif /* ILRL_VERSION_H */

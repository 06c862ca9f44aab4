/* version.c -- owns the --version text (see include/ilrl/version.h). */
#include "config.h"

#include <mpi.h>
#include <netcdf.h>
#include <gsl/gsl_version.h>

#include "ilrl/version.h"

#ifdef HAVE_OPENBLAS_GET_CONFIG
char *openblas_get_config(void);
#endif

void ilrl_version_print(FILE *out, const char *program)
{
    char mpi_version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;

    /* One of the few MPI calls allowed before MPI_Init. */
    MPI_Get_library_version(mpi_version, &length);
    for (int i = 0; i < length; i++)
        if (mpi_version[i] == '\n' || mpi_version[i] == ',') {
            mpi_version[i] = '\0';
            break;
        }

    fprintf(out, "%s (%s) %s\n", program, PACKAGE_NAME, PACKAGE_VERSION);
    fprintf(out, "  MPI:    %s\n", mpi_version);
    fprintf(out, "  GSL:    %s\n", gsl_version);
    fprintf(out, "  NetCDF: %s\n", nc_inq_libvers());
#ifdef HAVE_OPENBLAS_GET_CONFIG
    fprintf(out, "  BLAS:   %s\n", openblas_get_config());
#else
    fprintf(out, "  BLAS:   %s\n", ILRL_CBLAS_CHOICE);
#endif
}

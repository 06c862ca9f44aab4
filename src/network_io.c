/* network_io.c -- the network file (network_io.h, docs/formats.md). */
#include "config.h"

#include <math.h>
#include <netcdf.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/error.h"
#include "ilrl/ncfile.h"
#include "ilrl/network_io.h"

static int write_contents(struct ilrl_ncfile *file, const struct ilrl_mlp *mlp,
                          const double *theta, const char *history, const char *source)
{
    int param_dim, theta_var, status = ILRL_OK;
    int sizes[64];
    if (mlp->n_layers + 1 > sizeof sizes / sizeof sizes[0])
        return ilrl_error(ILRL_EUSAGE, "%s: a network of %zu layers is too deep to write",
                          file->path, mlp->n_layers);
    for (size_t l = 0; l <= mlp->n_layers; l++)
        sizes[l] = (int)mlp->sizes[l];
    if (!status) status = ILRL_NC(file, "param", nc_def_dim,
                                  (file->ncid, "param", mlp->n_params, &param_dim));
    if (!status) status = ilrl_ncfile_define(file, "theta", NC_DOUBLE, 1, &param_dim,
                                             "policy network parameters (mlp.h layout)",
                                             NULL, &theta_var);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "ilrl_file_kind", ILRL_NETWORK_KIND);
    if (!status) status = ilrl_ncfile_put_ints(file, "layer_sizes", sizes, mlp->n_layers + 1);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "activation",
                                               ilrl_activation_name(mlp->activation));
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "history", history);
    if (!status) status = ilrl_ncfile_put_text(file, NC_GLOBAL, "source", source);
    if (!status) status = ILRL_NC(file, "file", nc_enddef, (file->ncid));
    if (!status) status = ILRL_NC(file, "theta", nc_put_var_double, (file->ncid, theta_var, theta));
    return status;
}

int ilrl_network_write(const char *path, const struct ilrl_mlp *mlp,
                       const double *theta, const char *history,
                       const char *source, int force)
{
    struct ilrl_ncfile file;
    off_t bound = (off_t)(mlp->n_params * sizeof(double)) + 65536;
    int status = ilrl_ncfile_create(&file, path, force, bound);
    if (status == ILRL_OK)
        status = ilrl_ncfile_publish(&file, write_contents(&file, mlp, theta, history, source));
    return status;
}

int ilrl_network_read_shape(struct ilrl_ncfile *file, struct ilrl_mlp **mlp)
{
    int *sizes = NULL;
    size_t n_sizes = 0;
    char *activation_name = NULL;
    enum ilrl_activation activation = ILRL_ACTIVATION_TANH;
    int status = ilrl_ncfile_get_ints(file, "layer_sizes", 0, &sizes, &n_sizes);
    if (!status) status = ilrl_ncfile_get_text(file, NC_GLOBAL, "activation", &activation_name, NULL);
    if (!status && ilrl_activation_parse(activation_name, &activation) != ILRL_OK)
        status = ilrl_error(ILRL_EINPUT, "%s: activation '%s' is not tanh or relu", file->path,
                            activation_name);
    if (!status) {
        size_t wide[64];
        int ok = n_sizes >= 2 && n_sizes <= 64;
        for (size_t l = 0; ok && l < n_sizes; l++) {
            ok = sizes[l] >= 1 && sizes[l] <= 1000000;
            wide[l] = ok ? (size_t)sizes[l] : 0;
        }
        *mlp = ok ? ilrl_mlp_alloc(wide, n_sizes, activation) : NULL;
        if (*mlp == NULL)
            status = ilrl_error(ILRL_EINPUT, "%s: attribute layer_sizes is not a network's layer sizes",
                                file->path);
    }
    free(sizes);
    free(activation_name);
    return status;
}

/* Shape from the attributes, then theta(param) checked against it. */
static int read_contents(struct ilrl_ncfile *file, struct ilrl_mlp **mlp, double **theta)
{
    char *kind = NULL;
    int status;

    status = ilrl_ncfile_get_text(file, NC_GLOBAL, "ilrl_file_kind", &kind, NULL);
    if (!status && strcmp(kind, ILRL_NETWORK_KIND) != 0)
        status = ilrl_error(ILRL_EINPUT, "%s: ilrl_file_kind is '%s', not '%s'", file->path,
                            kind, ILRL_NETWORK_KIND);
    if (!status) status = ilrl_network_read_shape(file, mlp);
    int dimid = -1, varid = -1, ndims = 0, dims[NC_MAX_VAR_DIMS];
    size_t length = 0;
    nc_type type;
    if (!status) {
        int nc_status = nc_inq_dimid(file->ncid, "param", &dimid);
        if (nc_status == NC_EBADDIM)
            status = ilrl_error(ILRL_EINPUT, "%s: dimension 'param' missing", file->path);
        else
            status = ilrl_ncfile_checked(file, nc_status, "nc_inq_dimid", "param");
    }
    if (!status) status = ILRL_NC(file, "param", nc_inq_dimlen, (file->ncid, dimid, &length));
    if (!status && length != (*mlp)->n_params)
        status = ilrl_error(ILRL_EINPUT, "%s: theta has %zu parameters but layer_sizes make %zu",
                            file->path, length, (*mlp)->n_params);
    if (!status) {
        int nc_status = nc_inq_varid(file->ncid, "theta", &varid);
        if (nc_status == NC_ENOTVAR)
            status = ilrl_error(ILRL_EINPUT, "%s: variable 'theta' missing", file->path);
        else
            status = ilrl_ncfile_checked(file, nc_status, "nc_inq_varid", "theta");
    }
    if (!status) status = ILRL_NC(file, "theta", nc_inq_var,
                                  (file->ncid, varid, NULL, &type, &ndims, dims, NULL));
    if (!status && (type != NC_DOUBLE || ndims != 1 || dims[0] != dimid))
        status = ilrl_error(ILRL_EINPUT, "%s: variable theta must be double theta(param)", file->path);
    if (!status) status = ilrl_ncfile_check_size(file, varid, "theta");
    if (!status) {
        *theta = malloc(length * sizeof **theta);
        if (*theta == NULL)
            status = ilrl_error(ILRL_EFAILED, "%s: out of memory reading theta", file->path);
    }
    if (!status) status = ILRL_NC(file, "theta", nc_get_var_double, (file->ncid, varid, *theta));
    if (!status) status = ilrl_ncfile_refuse_fill(file, varid, "theta", *theta, length, 1, NULL);
    for (size_t k = 0; !status && k < length; k++)
        if (!isfinite((*theta)[k]))
            status = ilrl_error(ILRL_EINPUT, "%s: theta[%zu] is not finite", file->path, k);
    free(kind);
    return status;
}

int ilrl_network_read(const char *path, struct ilrl_mlp **mlp, double **theta)
{
    struct ilrl_ncfile file;
    *mlp = NULL;
    *theta = NULL;
    int status = ilrl_ncfile_open(&file, path);
    if (status == ILRL_OK)
        status = ilrl_ncfile_close(&file, read_contents(&file, mlp, theta));
    if (status != ILRL_OK) {
        ilrl_mlp_free(*mlp);
        free(*theta);
        *mlp = NULL;
        *theta = NULL;
    }
    return status;
}

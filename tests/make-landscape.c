/* make-landscape -- writes synthetic landscape files for the shell tests,
 * through the library's own writer (so the files are exactly what
 * ilrl-landscape writes), plus a demonstration-kind decoy.
 *
 *   make-landscape SHAPE OUT.nc [NX NY]
 *
 * SHAPE: inverted   RL = 3 - IL            (r = -1)
 *        aligned    RL = 2 IL + 1          (r = +1)
 *        constant   RL = 1                 (r undefined)
 *        partial    aligned, only the lower half of the rows computed
 *        return     inverted, with return_mean = -IL (objective "return")
 *        demo       a file with ilrl_file_kind = "demonstration"
 * IL = (x - 0.25)^2 + (y + 0.5)^2 on x, y in [-1, 1]; default grid 21 x 17,
 * so the IL minimum is at (0.3, -0.5) (the grid point nearest (0.25, -0.5)).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netcdf.h>

#include "ilrl/error.h"
#include "ilrl/landscape_io.h"

static int write_demo_decoy(const char *path)
{
    int ncid, dim, var;
    const char *kind = "demonstration";
    int status = nc_create(path, NC_NETCDF4 | NC_CLOBBER, &ncid);
    if (!status) status = nc_def_dim(ncid, "step", 4, &dim);
    if (!status) status = nc_def_var(ncid, "action", NC_INT, 1, &dim, &var);
    if (!status) status = nc_put_att_text(ncid, NC_GLOBAL, "ilrl_file_kind",
                                          strlen(kind), kind);
    if (!status) status = nc_close(ncid);
    if (status)
        fprintf(stderr, "make-landscape: %s: %s\n", path, nc_strerror(status));
    return status ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: make-landscape SHAPE OUT.nc [NX NY]\n");
        return 2;
    }
    const char *shape = argv[1], *path = argv[2];
    if (strcmp(shape, "demo") == 0)
        return write_demo_decoy(path);
    size_t nx = argc == 5 ? strtoul(argv[3], NULL, 10) : 21;
    size_t ny = argc == 5 ? strtoul(argv[4], NULL, 10) : 17;
    int with_return = strcmp(shape, "return") == 0;
    struct ilrl_landscape *landscape = ilrl_landscape_alloc(nx, ny, 7, with_return);
    if (!landscape || nx < 2 || ny < 2) {
        fprintf(stderr, "make-landscape: bad grid %zu x %zu\n", nx, ny);
        return 2;
    }
    for (size_t i = 0; i < nx; i++)
        landscape->x[i] = -1.0 + 2.0 * (double)i / (double)(nx - 1);
    for (size_t j = 0; j < ny; j++)
        landscape->y[j] = -1.0 + 2.0 * (double)j / (double)(ny - 1);
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            size_t k = j * nx + i;
            double dx = landscape->x[i] - 0.25, dy = landscape->y[j] + 0.5;
            double il = dx * dx + dy * dy;
            if (strcmp(shape, "partial") == 0 && j >= ny / 2)
                continue;
            landscape->il_loss[k] = il;
            if (strcmp(shape, "aligned") == 0 || strcmp(shape, "partial") == 0)
                landscape->rl_loss[k] = 2.0 * il + 1.0;
            else if (strcmp(shape, "constant") == 0)
                landscape->rl_loss[k] = 1.0;
            else
                landscape->rl_loss[k] = 3.0 - il;
            if (with_return) {
                landscape->return_mean[k] = -il;
                landscape->return_std[k] = 0.1;
                landscape->score_mean[k] = 2.0 - il;
                landscape->length_mean[k] = 100.0;
            }
            landscape->computed[k] = 1;
        }
    for (size_t p = 0; p < 7; p++) {
        landscape->theta0[p] = 0.1 * (double)p;
        landscape->direction_x[p] = p == 3;   /* W2[0,0] */
        landscape->direction_y[p] = p == 4;   /* W2[1,0] */
    }
    struct ilrl_landscape_meta *meta = &landscape->meta;
    static int layers[3] = {2, 1, 2};
    meta->layer_sizes = malloc(sizeof layers);
    if (!meta->layer_sizes)
        return 1;
    memcpy(meta->layer_sizes, layers, sizeof layers);
    meta->n_layer_sizes = 3;
    meta->init_seed = 1;
    meta->gamma = 0.99;
    meta->n_steps = 40;
    meta->n_episodes = 2;
    meta->gradient_cosine = -0.875;
    meta->mpi_ranks = 1;
    meta->tile[0] = 8;
    meta->tile[1] = 8;
    meta->wall_seconds = 0.5;
    meta->rollouts = 8;
    meta->rollout_steps = 1000;
    int status = ilrl_landscape_set_string(&meta->title, "synthetic landscape");
    if (!status) status = ilrl_landscape_set_string(&meta->history, "make-landscape");
    if (!status) status = ilrl_landscape_set_string(&meta->source, "make-landscape (tests)");
    if (!status) status = ilrl_landscape_set_string(&meta->activation, "tanh");
    if (!status) status = ilrl_landscape_set_string(&meta->plane, "weights:W2[0,0],W2[1,0]");
    if (!status) status = ilrl_landscape_set_string(&meta->rl_weight, "return");
    if (!status) status = ilrl_landscape_set_string(&meta->demo_file, "built-in:poor");
    if (!status) status = ilrl_landscape_set_string(&meta->objective,
                                                    with_return ? "return" : "losses");
    if (!status) status = ilrl_landscape_set_string(&meta->rollout_policy, "greedy");
    if (!status) status = ilrl_landscape_write(path, landscape, 1);
    if (status)
        fprintf(stderr, "make-landscape: %s\n", ilrl_error_message());
    ilrl_landscape_free(landscape);
    return status ? 1 : 0;
}

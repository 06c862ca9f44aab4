/* compare_probe -- ilrl-compare's numbers at full precision, for
 * tests/py_landscape.sh.
 *
 *   compare_probe FILE.nc
 *
 * Reads FILE with the library's reader, compares it with
 * ilrl_compare_landscape and prints one "key value" line per field of
 * struct ilrl_comparison (doubles as %.17g, so that ilrl.landscape's
 * NumPy reimplementation can be checked to 1e-12 -- ilrl-compare itself
 * prints 10 significant digits).  Keys are those of ilrl-compare --json,
 * plus n_points, n_grid, n_computed, first_nonfinite_x/_y; a point prints
 * as KEY_x and KEY_y.  Exit 0, or 3 with the reader's message.
 */
#include "config.h"

#include <stdio.h>

#include "ilrl/compare.h"
#include "ilrl/error.h"
#include "ilrl/landscape_io.h"

static void number(const char *key, double value)
{
    printf("%s %.17g\n", key, value);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: compare_probe FILE.nc\n");
        return 2;
    }
    struct ilrl_landscape *landscape = NULL;
    struct ilrl_comparison c;
    int status = ilrl_landscape_read(argv[1], &landscape);
    if (status == ILRL_OK)
        status = ilrl_compare_landscape(landscape, &c);
    ilrl_landscape_free(landscape);
    if (status != ILRL_OK) {
        fprintf(stderr, "compare_probe: %s\n", ilrl_error_message());
        return ilrl_exit_code(status);
    }
    printf("n_points %zu\nn_grid %zu\nn_computed %zu\nnonfinite_points %zu\n",
           c.n_points, c.n_grid, c.n_computed, c.n_nonfinite);
    number("first_nonfinite_x", c.first_nonfinite[0]);
    number("first_nonfinite_y", c.first_nonfinite[1]);
    number("complete_fraction", c.complete_fraction);
    number("pearson", c.pearson);
    number("spearman", c.spearman);
    number("il_argmin_x", c.il_argmin[0]);
    number("il_argmin_y", c.il_argmin[1]);
    number("rl_argmin_x", c.rl_argmin[0]);
    number("rl_argmin_y", c.rl_argmin[1]);
    number("minima_distance", c.minima_distance);
    number("gradient_cosine", c.gradient_cosine);
    number("nrmsd", c.nrmsd);
    printf("verdict %s\n", c.verdict);
    if (c.has_return) {
        number("il_return_pearson", c.il_return_pearson);
        number("rl_return_pearson", c.rl_return_pearson);
    }
    if (c.has_td) {
        number("il_td_pearson", c.il_td_pearson);
        number("rl_td_pearson", c.rl_td_pearson);
        if (c.has_return)
            number("td_return_pearson", c.td_return_pearson);
    }
    if (c.has_cql) {
        number("il_cql_pearson", c.il_cql_pearson);
        if (c.has_return)
            number("cql_return_pearson", c.cql_return_pearson);
    }
    return 0;
}

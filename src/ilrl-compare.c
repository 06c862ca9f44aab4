/* ilrl-compare -- prints the IL vs RL comparison of landscape files
 * (docs/comparison.md) as an aligned table, CSV or JSON.
 *
 * Every file is read and compared before anything is printed, so a bad file
 * ends the program (exit 3, one line naming it) without a half-written table.
 * Bad files include, besides unreadable and non-landscape ones:
 *  - anything but a regular file (a FIFO would block the reader forever, a
 *    directory or device is no landscape): refused by the reader before it
 *    is opened;
 *  - a file without a single computed point with finite losses (a
 *    checkpoint written before its first tile, or one whose every value is
 *    NaN): no statistic exists, and "unrelated" would be a false answer.
 * A usable but imperfect file is compared and said to be so, one warning
 * line per problem on stderr (after all files are read, before the table):
 *  - incomplete (a checkpoint): complete_fraction < 1 says how much; the
 *    statistics cover the computed points, and below one half the verdict is
 *    "incomplete" instead of a word about the plane (compare.h says why);
 *  - computed points with non-finite losses: counted (nonfinite_points),
 *    the first one's coordinates named, left out of every statistic.
 * The exit status stays 0 for those: the output carries both facts.
 */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ilrl/compare.h"
#include "ilrl/error.h"
#include "ilrl/landscape_io.h"
#include "ilrl/version.h"

#define PROGRAM "ilrl-compare"

enum output_format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

static void usage(FILE *out)
{
    fprintf(out,
"Usage: " PROGRAM " [--csv | --json] LANDSCAPE.nc [LANDSCAPE.nc ...]\n"
"Compare the imitation-learning (IL) and reinforcement-learning (RL) loss\n"
"surfaces of each landscape file written by ilrl-landscape.\n"
"\n"
"Options:\n"
"  --table      aligned table (default)\n"
"  --csv        comma-separated values with a header line\n"
"  --json       a JSON list with one object per file (undefined values: null)\n"
"  -h, --help   show this help and exit\n"
"  -V, --version  show versions and exit\n"
"\n"
"Columns (over computed points only):\n"
"  pearson, spearman   correlation of L_IL and L_RL\n"
"  il_argmin, rl_argmin  plane coordinates (x, y) of each minimum\n"
"  minima_distance     Euclidean distance between the minima (plane units)\n"
"  gradient_cosine     cos(grad L_IL, grad L_RL) at theta0 (from the file)\n"
"  nrmsd               sqrt(mean((z_IL - z_RL)^2)) / 2 of the z-scored\n"
"                      surfaces: 0 identical, 1 negated, ~0.71 unrelated\n"
"  verdict             inverted if pearson <= %.1f, aligned if >= %.1f,\n"
"                      otherwise (or undefined, e.g. a constant surface) unrelated;\n"
"                      incomplete if under %.0f%% of the grid is computed\n"
"  complete_fraction   computed points / grid points (below 1: a checkpoint;\n"
"                      the statistics cover the computed points, and a warning\n"
"                      line says so)\n"
"  nonfinite_points    computed points whose IL or RL loss is NaN or infinite:\n"
"                      left out of every statistic, and a warning line names\n"
"                      the first\n"
"  il_return_pearson, rl_return_pearson (files made with --objective return)\n"
"                      Pearson r of -L_IL and of -L_RL with return_mean\n"
"  il_td_pearson, rl_td_pearson, il_cql_pearson, td_return_pearson,\n"
"  cql_return_pearson (files made with --objectives td,cql; the last two\n"
"                      with return too): Pearson r of L_IL and L_TD, L_RL and\n"
"                      L_TD, L_IL and L_CQL, -L_TD and -L_CQL with return_mean\n"
"\n"
"Exit status: 0 success, 2 bad command line, 3 a file that is unreadable, not\n"
"a regular file, not a landscape, or has no computed point with finite losses.\n",
            ILRL_COMPARE_INVERTED_R, ILRL_COMPARE_ALIGNED_R,
            100.0 * ILRL_COMPARE_MIN_COMPLETE);
}

struct row {
    const char *file;
    struct ilrl_comparison comparison;
};

/* ---- table ------------------------------------------------------------- */

static void format_number(char *buffer, size_t size, const char *format, double value)
{
    if (isnan(value))
        snprintf(buffer, size, "nan");
    else
        snprintf(buffer, size, format, value);
}

static void format_point(char *buffer, size_t size, const double point[2])
{
    if (isnan(point[0]))
        snprintf(buffer, size, "nan");
    else
        snprintf(buffer, size, "(%.4g, %.4g)", point[0], point[1]);
}

/* The value objectives' five correlations, in column order; has[k] says
 * whether the file holds what statistic k needs. */
#define N_VALUE_STATS 5
static const char *const value_keys[N_VALUE_STATS] = {
    "il_td_pearson", "rl_td_pearson", "il_cql_pearson", "td_return_pearson",
    "cql_return_pearson"};
static const char *const value_heads[N_VALUE_STATS] = {
    "il_td_r", "rl_td_r", "il_cql_r", "td_ret_r", "cql_ret_r"};

static void value_stats(const struct ilrl_comparison *c, double stats[N_VALUE_STATS],
                        int has[N_VALUE_STATS])
{
    stats[0] = c->il_td_pearson;
    stats[1] = c->rl_td_pearson;
    stats[2] = c->il_cql_pearson;
    stats[3] = c->td_return_pearson;
    stats[4] = c->cql_return_pearson;
    has[0] = has[1] = c->has_td;
    has[2] = c->has_cql;
    has[3] = c->has_td && c->has_return;
    has[4] = c->has_cql && c->has_return;
}

/* A fraction as a percentage rounded down: 0.9999 is not "100.0%". */
static void format_fraction(char *buffer, size_t size, double fraction)
{
    snprintf(buffer, size, "%.1f%%", floor(fraction * 1000.0) / 10.0);
}

static void print_table(const struct row *rows, size_t n_rows, int any_return,
                        int any_value)
{
    int file_width = 4;
    for (size_t k = 0; k < n_rows; k++)
        if ((int)strlen(rows[k].file) > file_width)
            file_width = (int)strlen(rows[k].file);
    printf("%-*s  %8s  %8s  %-20s  %-20s  %8s  %8s  %6s  %-10s  %8s  %9s", file_width,
           "file", "pearson", "spearman", "il_argmin (x, y)", "rl_argmin (x, y)",
           "min_dist", "grad_cos", "nrmsd", "verdict", "complete", "nonfinite");
    if (any_return)
        printf("  %8s  %8s", "il_ret_r", "rl_ret_r");
    for (int v = 0; any_value && v < N_VALUE_STATS; v++)
        printf("  %9s", value_heads[v]);
    printf("\n");
    for (size_t k = 0; k < n_rows; k++) {
        const struct ilrl_comparison *c = &rows[k].comparison;
        char pearson[32], spearman[32], il_min[64], rl_min[64], distance[32],
             cosine[32], nrmsd[32], il_return[32], rl_return[32], complete[32];
        format_number(pearson, sizeof pearson, "%+.4f", c->pearson);
        format_number(spearman, sizeof spearman, "%+.4f", c->spearman);
        format_point(il_min, sizeof il_min, c->il_argmin);
        format_point(rl_min, sizeof rl_min, c->rl_argmin);
        format_number(distance, sizeof distance, "%.4g", c->minima_distance);
        format_number(cosine, sizeof cosine, "%+.4f", c->gradient_cosine);
        format_number(nrmsd, sizeof nrmsd, "%.4f", c->nrmsd);
        format_fraction(complete, sizeof complete, c->complete_fraction);
        printf("%-*s  %8s  %8s  %-20s  %-20s  %8s  %8s  %6s  %-10s  %8s  %9zu", file_width,
               rows[k].file, pearson, spearman, il_min, rl_min, distance, cosine,
               nrmsd, c->verdict, complete, c->n_nonfinite);
        if (any_return) {
            if (c->has_return) {
                format_number(il_return, sizeof il_return, "%+.4f", c->il_return_pearson);
                format_number(rl_return, sizeof rl_return, "%+.4f", c->rl_return_pearson);
            } else {
                snprintf(il_return, sizeof il_return, "-");
                snprintf(rl_return, sizeof rl_return, "-");
            }
            printf("  %8s  %8s", il_return, rl_return);
        }
        double stats[N_VALUE_STATS];
        int has[N_VALUE_STATS];
        value_stats(c, stats, has);
        for (int v = 0; any_value && v < N_VALUE_STATS; v++) {
            char text[32] = "-";
            if (has[v])
                format_number(text, sizeof text, "%+.4f", stats[v]);
            printf("  %9s", text);
        }
        printf("\n");
    }
}

/* ---- CSV (RFC 4180 quoting; NaN as "nan", absent as empty) -------------- */

static void csv_text(const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, stdout);
        return;
    }
    putchar('"');
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            putchar('"');
        putchar(*p);
    }
    putchar('"');
}

static void csv_number(double value)
{
    if (isnan(value))
        printf(",nan");
    else
        printf(",%.10g", value);
}

static void print_csv(const struct row *rows, size_t n_rows, int any_return,
                      int any_value)
{
    printf("file,pearson,spearman,il_argmin_x,il_argmin_y,rl_argmin_x,rl_argmin_y,"
           "minima_distance,gradient_cosine,nrmsd,verdict,complete_fraction,"
           "nonfinite_points%s",
           any_return ? ",il_return_pearson,rl_return_pearson" : "");
    for (int v = 0; any_value && v < N_VALUE_STATS; v++)
        printf(",%s", value_keys[v]);
    printf("\n");
    for (size_t k = 0; k < n_rows; k++) {
        const struct ilrl_comparison *c = &rows[k].comparison;
        csv_text(rows[k].file);
        csv_number(c->pearson);
        csv_number(c->spearman);
        csv_number(c->il_argmin[0]);
        csv_number(c->il_argmin[1]);
        csv_number(c->rl_argmin[0]);
        csv_number(c->rl_argmin[1]);
        csv_number(c->minima_distance);
        csv_number(c->gradient_cosine);
        csv_number(c->nrmsd);
        printf(",%s", c->verdict);
        csv_number(c->complete_fraction);
        printf(",%zu", c->n_nonfinite);
        if (any_return && c->has_return) {
            csv_number(c->il_return_pearson);
            csv_number(c->rl_return_pearson);
        } else if (any_return) {
            printf(",,");
        }
        double stats[N_VALUE_STATS];
        int has[N_VALUE_STATS];
        value_stats(c, stats, has);
        for (int v = 0; any_value && v < N_VALUE_STATS; v++) {
            if (has[v])
                csv_number(stats[v]);
            else
                printf(",");
        }
        printf("\n");
    }
}

/* ---- JSON (NaN and infinities as null; strings escaped) ----------------- */

static void json_string(const char *text)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                printf("\\u%04x", *p);
            else
                putchar(*p);   /* UTF-8 passes through */
        }
    }
    putchar('"');
}

static void json_number(double value)
{
    if (isfinite(value))
        printf("%.10g", value);
    else
        printf("null");
}

static void json_point(const double point[2])
{
    if (isnan(point[0])) {
        printf("null");
        return;
    }
    putchar('[');
    json_number(point[0]);
    printf(", ");
    json_number(point[1]);
    putchar(']');
}

static void print_json(const struct row *rows, size_t n_rows)
{
    printf("[\n");
    for (size_t k = 0; k < n_rows; k++) {
        const struct ilrl_comparison *c = &rows[k].comparison;
        printf("  {\"file\": ");
        json_string(rows[k].file);
        printf(", \"pearson\": ");
        json_number(c->pearson);
        printf(", \"spearman\": ");
        json_number(c->spearman);
        printf(", \"il_argmin\": ");
        json_point(c->il_argmin);
        printf(", \"rl_argmin\": ");
        json_point(c->rl_argmin);
        printf(", \"minima_distance\": ");
        json_number(c->minima_distance);
        printf(", \"gradient_cosine\": ");
        json_number(c->gradient_cosine);
        printf(", \"nrmsd\": ");
        json_number(c->nrmsd);
        printf(", \"verdict\": ");
        json_string(c->verdict);
        printf(", \"complete_fraction\": ");
        json_number(c->complete_fraction);
        printf(", \"nonfinite_points\": %zu", c->n_nonfinite);
        if (c->has_return) {
            printf(", \"il_return_pearson\": ");
            json_number(c->il_return_pearson);
            printf(", \"rl_return_pearson\": ");
            json_number(c->rl_return_pearson);
        }
        double stats[N_VALUE_STATS];
        int has[N_VALUE_STATS];
        value_stats(c, stats, has);
        for (int v = 0; v < N_VALUE_STATS; v++)
            if (has[v]) {
                printf(", \"%s\": ", value_keys[v]);
                json_number(stats[v]);
            }
        printf("}%s\n", k + 1 < n_rows ? "," : "");
    }
    printf("]\n");
}

/* ---- what makes a file unusable or imperfect (see the header) ---------- */

static int check_usable(const char *path, const struct ilrl_comparison *c)
{
    if (c->n_computed == 0)
        return ilrl_error(ILRL_EINPUT, "%s: no computed point (0 of %zu grid points): "
                          "nothing to compare", path, c->n_grid);
    if (c->n_points == 0)
        return ilrl_error(ILRL_EINPUT, "%s: no computed point with finite losses "
                          "(all %zu computed points are NaN or infinite)", path,
                          c->n_computed);
    return ILRL_OK;
}

static void warn_imperfect(const char *path, const struct ilrl_comparison *c)
{
    if (c->n_computed < c->n_grid) {
        char complete[32];
        format_fraction(complete, sizeof complete, c->complete_fraction);
        fprintf(stderr, PROGRAM ": warning: %s: incomplete, %s of the grid computed "
                "(%zu of %zu points): the statistics cover those points only%s\n",
                path, complete, c->n_computed, c->n_grid,
                c->complete_fraction < ILRL_COMPARE_MIN_COMPLETE
                    ? ", and no verdict is given below half the grid" : "");
    }
    if (c->n_nonfinite > 0)
        fprintf(stderr, PROGRAM ": warning: %s: %zu computed point%s with non-finite "
                "losses, the first at (x, y) = (%.6g, %.6g): left out of every "
                "statistic\n", path, c->n_nonfinite, c->n_nonfinite == 1 ? "" : "s",
                c->first_nonfinite[0], c->first_nonfinite[1]);
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"table", no_argument, NULL, 't'},
        {"csv", no_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    enum output_format format = FORMAT_TABLE;
    int option;

    opterr = 0;
    while ((option = getopt_long(argc, argv, "hV", options, NULL)) != -1) {
        switch (option) {
        case 't': format = FORMAT_TABLE; break;
        case 'c': format = FORMAT_CSV; break;
        case 'j': format = FORMAT_JSON; break;
        case 'h': usage(stdout); return 0;
        case 'V': ilrl_version_print(stdout, PROGRAM); return 0;
        default:
            fprintf(stderr, PROGRAM ": unknown option '%s' (try --help)\n",
                    argv[optind - 1]);
            return ilrl_exit_code(ILRL_EUSAGE);
        }
    }
    if (optind >= argc) {
        fprintf(stderr, PROGRAM ": no landscape file given (try --help)\n");
        return ilrl_exit_code(ILRL_EUSAGE);
    }

    size_t n_rows = (size_t)(argc - optind);
    struct row *rows = calloc(n_rows, sizeof *rows);
    if (!rows) {
        fprintf(stderr, PROGRAM ": out of memory\n");
        return ilrl_exit_code(ILRL_EFAILED);
    }
    int status = ILRL_OK, any_return = 0, any_value = 0;
    for (size_t k = 0; k < n_rows && !status; k++) {
        struct ilrl_landscape *landscape = NULL;
        rows[k].file = argv[optind + (int)k];
        status = ilrl_landscape_read(rows[k].file, &landscape);
        if (!status)
            status = ilrl_compare_landscape(landscape, &rows[k].comparison);
        if (!status)
            status = check_usable(rows[k].file, &rows[k].comparison);
        if (!status && rows[k].comparison.has_return)
            any_return = 1;
        if (!status && (rows[k].comparison.has_td || rows[k].comparison.has_cql))
            any_value = 1;
        ilrl_landscape_free(landscape);
    }
    if (status) {
        fprintf(stderr, PROGRAM ": %s\n", ilrl_error_message());
        free(rows);
        return ilrl_exit_code(status);
    }
    for (size_t k = 0; k < n_rows; k++)
        warn_imperfect(rows[k].file, &rows[k].comparison);
    switch (format) {
    case FORMAT_TABLE: print_table(rows, n_rows, any_return, any_value); break;
    case FORMAT_CSV: print_csv(rows, n_rows, any_return, any_value); break;
    case FORMAT_JSON: print_json(rows, n_rows); break;
    }
    free(rows);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, PROGRAM ": cannot write the output\n");
        return ilrl_exit_code(ILRL_EOUTPUT);
    }
    return 0;
}

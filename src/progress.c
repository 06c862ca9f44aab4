/* progress.c -- owns what a run tells its user on stderr: notices and the
 * progress line (see progress.h). */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ilrl/progress.h"

/* ---- notices ---------------------------------------------------------------- */

static struct {
    FILE *out;
    int configured;
    const char *label;
    int rank;
} notices = {NULL, 0, "ilrl", 0};

void ilrl_notice_setup(FILE *out, const char *label, int rank)
{
    notices.out = out;
    notices.configured = 1;
    notices.label = label != NULL ? label : "ilrl";
    notices.rank = rank;
}

FILE *ilrl_notice_stream(void)
{
    return notices.configured ? notices.out : stderr;
}

const char *ilrl_notice_label(void)
{
    return notices.label;
}

void ilrl_notice(const char *format, ...)
{
    FILE *out = ilrl_notice_stream();
    char message[8192];   /* the summary names every rank's share */
    va_list args;
    if (out == NULL)
        return;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    if (notices.rank != 0)
        fprintf(out, "%s: rank %d: %s\n", notices.label, notices.rank, message);
    else
        fprintf(out, "%s: %s\n", notices.label, message);
    fflush(out);
}

/* ---- progress ---------------------------------------------------------------- */

static double monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

void ilrl_progress_format_duration(double seconds, char *buf, size_t buf_size)
{
    if (!isfinite(seconds) || seconds < 0) {
        snprintf(buf, buf_size, "?");
        return;
    }
    long total = lround(seconds);
    snprintf(buf, buf_size, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
}

static void print_line(struct ilrl_progress *progress, int final)
{
    double now = progress->clock();
    double elapsed = now - progress->start_time;
    size_t new_points = progress->done_points - progress->start_points;
    double rate = elapsed > 0 ? (double)new_points / elapsed : 0.0;
    double remaining = (double)(progress->total_points - progress->done_points);
    char eta[32];
    ilrl_progress_format_duration(rate > 0 ? remaining / rate : NAN, eta, sizeof eta);
    double percent = progress->total_points
        ? 100.0 * (double)progress->done_points / (double)progress->total_points : 100.0;

    if (progress->live) {
        const int width = 24;
        int filled = (int)(percent / 100.0 * width);
        fprintf(progress->out, "\r%s: [", progress->label);
        for (int k = 0; k < width; k++)
            fputc(k < filled ? '#' : '.', progress->out);
        fprintf(progress->out, "] ");
    } else {
        fprintf(progress->out, "%s: ", progress->label);
    }
    fprintf(progress->out, "%zu/%zu points (%.1f%%), tiles %zu/%zu, %.0f points/s, ETA %s",
            progress->done_points, progress->total_points, percent, progress->done_tiles,
            progress->total_tiles, rate, eta);
    if (progress->live)
        fprintf(progress->out, final ? "\033[K\n" : "\033[K");
    else
        fputc('\n', progress->out);
    fflush(progress->out);
    progress->last_print = now;
}

void ilrl_progress_start(struct ilrl_progress *progress, FILE *out, const char *label,
                         size_t total_points, size_t done_points,
                         size_t total_tiles, size_t done_tiles)
{
    const char *interval = getenv("ILRL_PROGRESS_INTERVAL");
    progress->out = out;
    progress->label = label;
    progress->live = out != NULL && isatty(fileno(out));
    progress->interval = interval != NULL && atof(interval) > 0 ? atof(interval) : 10.0;
    progress->clock = monotonic_seconds;
    progress->start_time = progress->last_print = progress->clock();
    progress->total_points = total_points;
    progress->done_points = progress->start_points = done_points;
    progress->total_tiles = total_tiles;
    progress->done_tiles = done_tiles;
}

void ilrl_progress_update(struct ilrl_progress *progress, size_t new_points, size_t new_tiles)
{
    progress->done_points += new_points;
    progress->done_tiles += new_tiles;
    if (progress->out == NULL)
        return;
    double since = progress->clock() - progress->last_print;
    if (since >= (progress->live ? 0.1 : progress->interval))
        print_line(progress, 0);
}

void ilrl_progress_complete(struct ilrl_progress *progress)
{
    if (progress->out != NULL)
        print_line(progress, 1);
}

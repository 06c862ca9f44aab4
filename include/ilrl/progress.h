/* progress.h -- progress of a long computation on stderr (rank 0 only).
 *
 * Lifecycle start -> update* -> complete (mpifileutils' mfu_progress).  On a
 * terminal: one live line redrawn at most 10 times a second ("\r" + bar).
 * Otherwise (Slurm logs, pipes): a plain line every `interval` seconds
 * (default 10), so a log grows by a few lines a minute, never by a bar.
 * Line format (both modes):
 *   ilrl-landscape: 1234/10201 points (12.1%), tiles 12/100, 5432 points/s, ETA 0:00:02
 */
#ifndef ILRL_PROGRESS_H
#define ILRL_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

struct ilrl_progress {
    FILE *out;                /* NULL = silent (--quiet) */
    const char *label;        /* "ilrl-landscape" */
    int live;                 /* 1 when out is a terminal */
    double interval;          /* seconds between plain lines */
    double start_time, last_print;
    size_t total_points, done_points, start_points; /* start_points: resumed */
    size_t total_tiles, done_tiles;
    double (*clock)(void);    /* seconds; monotonic */
};

/* Starts; `done_points` already finished (resume) are not counted in the
 * rate.  ILRL_PROGRESS_INTERVAL in the environment overrides the plain-line
 * interval (tests use it). */
void ilrl_progress_start(struct ilrl_progress *progress, FILE *out, const char *label,
                         size_t total_points, size_t done_points,
                         size_t total_tiles, size_t done_tiles);
void ilrl_progress_update(struct ilrl_progress *progress, size_t new_points, size_t new_tiles);
/* Prints the final state (ends the live line). */
void ilrl_progress_complete(struct ilrl_progress *progress);

/* Formats seconds as H:MM:SS into buf. */
void ilrl_progress_format_duration(double seconds, char *buf, size_t buf_size);

#endif /* ILRL_PROGRESS_H */

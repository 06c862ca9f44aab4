/* progress.h -- what a long computation tells its user on stderr besides
 * its one error line: notices and progress (rank 0 speaks).
 *
 * Notices (warnings, "resuming ...", the summary) go through ilrl_notice(),
 * never through fprintf in the library: the program says once, with
 * ilrl_notice_setup(), where they go (stderr, or nowhere under --quiet),
 * under which label ("ilrl-landscape") and from which MPI rank, so the
 * library holds no program name and no --quiet test.  A line is
 *   LABEL: message                (rank 0, the usual speaker)
 *   LABEL: rank R: message        (any other rank: says where it came from,
 *                                  as mpifileutils' MFU_LOG lines do)
 * One line each, flushed at once.  The place in the code is not printed:
 * these lines are for users, and each message names its subject.
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

/* Where notices go: out (NULL = nowhere, --quiet), the label, this
 * process's MPI rank.  Before any call: stderr, "ilrl", rank 0. */
void ilrl_notice_setup(FILE *out, const char *label, int rank);
/* The configured stream (NULL when quiet) and label, for the progress line. */
FILE *ilrl_notice_stream(void);
const char *ilrl_notice_label(void);
/* One notice line (printf syntax, no trailing newline). */
void ilrl_notice(const char *format, ...) __attribute__((format(printf, 1, 2)));

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

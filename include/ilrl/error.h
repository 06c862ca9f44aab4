/* error.h -- status codes and the one error-reporting path of the library.
 *
 * Every library function that can fail returns an int status: 0 (ILRL_OK) on
 * success, otherwise one of the codes below.  The codes are chosen to equal
 * the programs' exit statuses of docs/exit-status.md, so a program ends with
 * `return ilrl_exit_code(status)` and nothing is translated twice.
 *
 * A failing function records one line of explanation (naming the file,
 * variable, option or index at fault) with ilrl_error(), which returns the
 * status so that `return ilrl_error(ILRL_EINPUT, "...", ...)` is the idiom.
 * The message lives in a per-thread buffer until the next ilrl_error(); the
 * program prints it once (on rank 0 under MPI).  Library code never prints
 * and never exits.
 */
#ifndef ILRL_ERROR_H
#define ILRL_ERROR_H

enum ilrl_status {
    ILRL_OK = 0,          /* success */
    ILRL_EFAILED = 1,     /* anything else: out of memory, internal fault, MPI */
    ILRL_EUSAGE = 2,      /* bad command line or option value */
    ILRL_EINPUT = 3,      /* bad input file (demo or landscape) */
    ILRL_EOUTPUT = 4,     /* output exists, is unwritable, disk full */
    ILRL_EINTERRUPTED = 5 /* stopped by a signal after a checkpoint */
};

/* Records the formatted message (printf syntax, no trailing newline) as the
 * current error and returns `status` unchanged.  Control characters (a
 * newline in a quoted attribute or file name) become '?': one line. */
int ilrl_error(int status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* The message recorded by the last ilrl_error() on this thread, or "" if none. */
const char *ilrl_error_message(void);

/* Forgets the current message. */
void ilrl_error_clear(void);

/* A fixed description of a status code ("bad input file", ...). */
const char *ilrl_strerror(int status);

/* The process exit status for a library status (docs/exit-status.md): the code itself
 * for 0..4; 130/143-style signal conventions are the program's business. */
int ilrl_exit_code(int status);

#endif /* ILRL_ERROR_H */

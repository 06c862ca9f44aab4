/* terminal.h -- the player's terminal: ANSI frames of the game (drawn by
 * the environment, env.h), raw keyboard input and a fixed frame rate, for
 * `--render` and the human pilot.
 *
 * There is one terminal per process, so its state is global: while it is
 * open the keyboard is in raw mode (no line buffering, no echo; Ctrl-C still
 * signals) and the cursor is hidden.  Closing restores both, and so do an
 * atexit handler and handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT (which
 * restore, then re-raise the signal with its default action), so the shell
 * gets a sane terminal back however the program ends short of SIGKILL.
 */
#ifndef ILRL_TERMINAL_H
#define ILRL_TERMINAL_H

#include <stdio.h>
#include <time.h>

#include "ilrl/env.h"

/* Starts drawing on `screen` (clears it, hides the cursor).  With
 * keyboard_fd >= 0 also puts that terminal into raw mode; it must be a
 * terminal (ILRL_EUSAGE otherwise).  Opening twice without closing is
 * ILRL_EFAILED. */
int ilrl_terminal_open(FILE *screen, int keyboard_fd);

/* Restores the keyboard mode and the cursor; safe to call when not open. */
void ilrl_terminal_close(void);

/* Reads every key pressed since the last call without waiting and returns
 * them as a set of enum ilrl_key bits (env.h): QUIT for q, Q or Ctrl-D,
 * FLAP for space or the up arrow, LEFT and RIGHT for the arrows.  0 when
 * no keyboard is open. */
unsigned ilrl_terminal_poll_keys(void);

/* Draws one frame: a status line (`status`, e.g. score and episode), the
 * environment's picture (its draw function), and the environment's help
 * line when a keyboard is open. */
void ilrl_terminal_draw(const struct ilrl_env *env, const char *status);

/* A fixed frame rate: start, then wait before each frame.  Waiting sleeps
 * until the next absolute deadline, so slow frames do not accumulate drift. */
struct ilrl_frame_clock {
    struct timespec next; /* CLOCK_MONOTONIC deadline of the next frame */
    long period_ns;       /* 1e9 / fps */
};
void ilrl_frame_clock_start(struct ilrl_frame_clock *clock, double fps);
void ilrl_frame_clock_wait(struct ilrl_frame_clock *clock);

#endif /* ILRL_TERMINAL_H */

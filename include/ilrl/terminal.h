/* terminal.h -- the player's terminal: ANSI frames of the game, raw keyboard
 * input and a fixed frame rate, for `--render` and the human pilot.
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

#include "ilrl/flappy.h"

enum ilrl_key { ILRL_KEY_NONE = 0, ILRL_KEY_FLAP = 1, ILRL_KEY_QUIT = 2 };

/* Starts drawing on `screen` (clears it, hides the cursor).  With
 * keyboard_fd >= 0 also puts that terminal into raw mode; it must be a
 * terminal (ILRL_EUSAGE otherwise).  Opening twice without closing is
 * ILRL_EFAILED. */
int ilrl_terminal_open(FILE *screen, int keyboard_fd);

/* Restores the keyboard mode and the cursor; safe to call when not open. */
void ilrl_terminal_close(void);

/* Reads every key pressed since the last call without waiting: QUIT if q
 * (or Ctrl-D) was among them, else FLAP if space or the up arrow was, else
 * NONE.  NONE when no keyboard is open. */
enum ilrl_key ilrl_terminal_poll_keys(void);

/* Draws one frame: a status line (`status`, e.g. score and episode), the
 * sky with pipes and the bird, the ground, and a help line when a keyboard
 * is open.  8 x 24 px per character cell, so the 288 x 504 px above the
 * bottom fit 36 columns by 21 rows of an 80 x 24 terminal. */
void ilrl_terminal_draw(const struct ilrl_flappy_state *state, const char *status);

/* A fixed frame rate: start, then wait before each frame.  Waiting sleeps
 * until the next absolute deadline, so slow frames do not accumulate drift. */
struct ilrl_frame_clock {
    struct timespec next; /* CLOCK_MONOTONIC deadline of the next frame */
    long period_ns;       /* 1e9 / fps */
};
void ilrl_frame_clock_start(struct ilrl_frame_clock *clock, double fps);
void ilrl_frame_clock_wait(struct ilrl_frame_clock *clock);

#endif /* ILRL_TERMINAL_H */

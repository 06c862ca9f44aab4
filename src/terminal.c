/* terminal.c -- owns the terminal while the game is shown: raw keyboard,
 * hidden cursor, ANSI frames, frame pacing (see include/ilrl/terminal.h).
 *
 * Restoring the terminal must work from a signal handler, so the saved
 * settings live in globals and restore_terminal() uses only
 * async-signal-safe calls (tcsetattr, write).
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ilrl/error.h"
#include "ilrl/terminal.h"

static const char show_cursor[] = "\033[0m\033[?25h\r\n";
static const char hide_cursor_and_clear[] = "\033[?25l\033[2J\033[H";

static volatile sig_atomic_t terminal_open;
static int screen_fd = -1;
static FILE *screen_file;
static int keyboard_fd = -1;
static struct termios saved_mode;
static int handlers_installed;
static const int restored_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
enum { N_RESTORED_SIGNALS = sizeof restored_signals / sizeof restored_signals[0] };
static struct sigaction saved_actions[N_RESTORED_SIGNALS];

/* Async-signal-safe: puts the keyboard back and shows the cursor. */
static void restore_terminal(void)
{
    if (!terminal_open)
        return;
    terminal_open = 0;
    if (keyboard_fd >= 0)
        tcsetattr(keyboard_fd, TCSANOW, &saved_mode);
    if (screen_fd >= 0) {
        ssize_t ignored = write(screen_fd, show_cursor, sizeof show_cursor - 1);
        (void)ignored;
    }
}

static void restore_at_exit(void)
{
    restore_terminal();
}

/* Restores, then dies of the same signal with its previous disposition so
 * the parent (shell, mpirun, tmux test) sees the usual 128+N status. */
static void restore_and_reraise(int signal_number)
{
    restore_terminal();
    for (int i = 0; i < N_RESTORED_SIGNALS; i++)
        if (restored_signals[i] == signal_number)
            sigaction(signal_number, &saved_actions[i], NULL);
    raise(signal_number);
}

static void install_handlers(void)
{
    struct sigaction action;
    if (handlers_installed)
        return;
    memset(&action, 0, sizeof action);
    action.sa_handler = restore_and_reraise;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < N_RESTORED_SIGNALS; i++) {
        sigaction(restored_signals[i], &action, &saved_actions[i]);
        /* A signal the caller ignores (nohup, a background job) stays
         * ignored: it cannot end the program, so nothing to restore. */
        if (saved_actions[i].sa_handler == SIG_IGN)
            sigaction(restored_signals[i], &saved_actions[i], NULL);
    }
    atexit(restore_at_exit);
    handlers_installed = 1;
}

static void uninstall_handlers(void)
{
    if (!handlers_installed)
        return;
    for (int i = 0; i < N_RESTORED_SIGNALS; i++)
        sigaction(restored_signals[i], &saved_actions[i], NULL);
    /* atexit cannot be undone; restore_terminal() is a no-op once closed. */
    handlers_installed = 0;
}

/* Raw mode: bytes arrive one by one without echo and read() never waits;
 * ISIG stays on so Ctrl-C still interrupts (and the handler restores). */
static int enter_raw_mode(int fd)
{
    struct termios raw;
    if (!isatty(fd))
        return ilrl_error(ILRL_EUSAGE, "the human pilot needs a terminal on standard input");
    if (tcgetattr(fd, &saved_mode) != 0)
        return ilrl_error(ILRL_EUSAGE, "cannot read the terminal mode: %s", strerror(errno));
    raw = saved_mode;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &raw) != 0)
        return ilrl_error(ILRL_EUSAGE, "cannot set the terminal to raw mode: %s", strerror(errno));
    return ILRL_OK;
}

int ilrl_terminal_open(FILE *screen, int keyboard)
{
    if (terminal_open)
        return ilrl_error(ILRL_EFAILED, "the terminal is already open");
    if (screen == NULL)
        return ilrl_error(ILRL_EUSAGE, "no terminal to draw on");
    /* Handlers first: a signal between raw mode and their installation
     * would otherwise leave the terminal raw. */
    install_handlers();
    keyboard_fd = -1;
    if (keyboard >= 0) {
        int status = enter_raw_mode(keyboard);
        if (status != ILRL_OK) {
            uninstall_handlers();
            return status;
        }
        keyboard_fd = keyboard;
    }
    screen_file = screen;
    screen_fd = fileno(screen);
    fflush(screen);
    terminal_open = 1;
    fputs(hide_cursor_and_clear, screen);
    fflush(screen);
    return ILRL_OK;
}

void ilrl_terminal_close(void)
{
    if (!terminal_open)
        return;
    if (screen_file != NULL)
        fflush(screen_file);
    restore_terminal();
    uninstall_handlers();
    keyboard_fd = -1;
    screen_fd = -1;
    screen_file = NULL;
}

/* The keys of one buffer: q / Ctrl-D quit, space / ESC [ A / ESC O A flap,
 * ESC [ D and ESC [ C (or ESC O D / C) the left and right arrows. */
static unsigned scan_keys(const unsigned char *bytes, ssize_t n)
{
    unsigned keys = ILRL_KEY_NONE;
    for (ssize_t i = 0; i < n; i++) {
        if (bytes[i] == 'q' || bytes[i] == 'Q' || bytes[i] == 4)
            keys |= ILRL_KEY_QUIT;
        if (bytes[i] == ' ')
            keys |= ILRL_KEY_FLAP;
        if (bytes[i] == 033 && i + 2 < n && (bytes[i + 1] == '[' || bytes[i + 1] == 'O')) {
            unsigned char final = bytes[i + 2];
            keys |= final == 'A' ? ILRL_KEY_FLAP : final == 'D' ? ILRL_KEY_LEFT
                    : final == 'C' ? ILRL_KEY_RIGHT : ILRL_KEY_NONE;
            i += 2;
        }
    }
    return keys;
}

unsigned ilrl_terminal_poll_keys(void)
{
    unsigned char bytes[64];
    unsigned keys = ILRL_KEY_NONE;
    ssize_t n;
    if (!terminal_open || keyboard_fd < 0)
        return ILRL_KEY_NONE;
    while ((n = read(keyboard_fd, bytes, sizeof bytes)) > 0)
        keys |= scan_keys(bytes, n);
    return keys;
}

void ilrl_terminal_draw(const struct ilrl_env *env, const char *status)
{
    if (!terminal_open || screen_file == NULL)
        return;
    fprintf(screen_file, "\033[H\033[0m%s\033[K\r\n", status != NULL ? status : "");
    env->type->draw(env->game, screen_file);
    if (keyboard_fd >= 0)
        fprintf(screen_file, "%s\033[K", env->type->keys_help);
    fflush(screen_file);
}

void ilrl_frame_clock_start(struct ilrl_frame_clock *clock, double fps)
{
    double period = fps > 0 ? 1e9 / fps : 1e9 / 30;
    /* Between 1 ns and 1 s, so the deadline arithmetic cannot overflow. */
    clock->period_ns = period < 1 ? 1 : period > 1e9 ? 1000000000L : (long)period;
    clock_gettime(CLOCK_MONOTONIC, &clock->next);
}

void ilrl_frame_clock_wait(struct ilrl_frame_clock *clock)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    /* After a stall (suspended with Ctrl-Z, a slow terminal) start afresh
     * instead of racing through the missed frames. */
    if (now.tv_sec > clock->next.tv_sec + 1)
        clock->next = now;
    clock->next.tv_nsec += clock->period_ns;
    while (clock->next.tv_nsec >= 1000000000L) {
        clock->next.tv_nsec -= 1000000000L;
        clock->next.tv_sec += 1;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &clock->next, NULL) == EINTR)
        continue;
}

/* error.c -- owns the current error message (see include/ilrl/error.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ilrl/error.h"

/* One line is all a user reads; longer messages are cut, not overflowed. */
static _Thread_local char current_message[1024];

int ilrl_error(int status, const char *format, ...)
{
    /* Format into a scratch buffer first: callers may pass the current
     * message itself as an argument to prefix it ("--plane: %s"). */
    char message[sizeof current_message];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    /* Text from files (attribute values, names) may hold control
     * characters; a message stays one line whatever it quotes. */
    for (char *c = message; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    memcpy(current_message, message, sizeof message);
    return status;
}

const char *ilrl_error_message(void)
{
    return current_message;
}

void ilrl_error_clear(void)
{
    current_message[0] = '\0';
}

const char *ilrl_strerror(int status)
{
    switch (status) {
    case ILRL_OK: return "success";
    case ILRL_EFAILED: return "failure";
    case ILRL_EUSAGE: return "bad command line";
    case ILRL_EINPUT: return "bad input file";
    case ILRL_EOUTPUT: return "output problem";
    case ILRL_EINTERRUPTED: return "interrupted by a signal";
    default: return "unknown status";
    }
}

int ilrl_exit_code(int status)
{
    if (status >= ILRL_OK && status <= ILRL_EOUTPUT)
        return status;
    return ILRL_EFAILED;
}

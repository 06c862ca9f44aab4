/* keys_io.c -- owns reading a keys file (see include/ilrl/keys_io.h).  The
 * file is opened without blocking (a FIFO with no writer would block open()
 * itself) and checked with fstat() on the descriptor it will be read from,
 * so the file checked is the file read.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ilrl/error.h"
#include "ilrl/keys_io.h"

/* One line of a keys file: blank or '#' comment (returns 0), or a frame
 * index >= 0 (returns 1, *frame set), or garbage (returns -1). */
static int parse_keys_line(const char *line, long *frame)
{
    char *end;
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line == '\0' || *line == '\n' || *line == '\r' || *line == '#')
        return 0;
    if (*line < '0' || *line > '9')
        return -1;
    *frame = strtol(line, &end, 10);
    if (*frame < 0 || *frame == LONG_MAX)
        return -1;
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    return *end == '\0' ? 1 : -1;
}

static int append_frame(long **frames, size_t *n, size_t *capacity, long frame)
{
    if (*n == *capacity) {
        size_t grown = *capacity ? 2 * *capacity : 64;
        long *bigger = realloc(*frames, grown * sizeof *bigger);
        if (bigger == NULL)
            return ilrl_error(ILRL_EFAILED, "out of memory reading a keys file");
        *frames = bigger;
        *capacity = grown;
    }
    (*frames)[(*n)++] = frame;
    return ILRL_OK;
}

/* Opens `path` for reading if it is a regular file within the size bound. */
static int open_keys(const char *path, FILE **file)
{
    struct stat info;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return ilrl_error(ILRL_EUSAGE, "cannot open keys file '%s': %s", path,
                          strerror(errno));
    if (fstat(fd, &info) != 0) {
        int saved = errno;
        close(fd);
        return ilrl_error(ILRL_EUSAGE, "cannot examine keys file '%s': %s", path,
                          strerror(saved));
    }
    if (!S_ISREG(info.st_mode)) {
        close(fd);
        return ilrl_error(ILRL_EUSAGE, "keys file '%s' is not a regular file (%s)", path,
                          S_ISDIR(info.st_mode) ? "a directory"
                          : S_ISFIFO(info.st_mode) ? "a FIFO"
                          : S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode) ? "a device"
                          : "a special file");
    }
    if (info.st_size > ILRL_KEYS_MAX_BYTES) {
        close(fd);
        return ilrl_error(ILRL_EUSAGE, "keys file '%s' is %lld bytes, more than the %ld "
                          "a keys file may have", path, (long long)info.st_size,
                          (long)ILRL_KEYS_MAX_BYTES);
    }
    *file = fdopen(fd, "r");
    if (*file == NULL) {
        int saved = errno;
        close(fd);
        return ilrl_error(ILRL_EFAILED, "cannot read keys file '%s': %s", path,
                          strerror(saved));
    }
    return ILRL_OK;
}

int ilrl_keys_read(const char *path, long **frames, size_t *n)
{
    char line[256];
    size_t capacity = 0;
    long line_number = 0, bytes = 0;
    FILE *file = NULL;
    *frames = NULL;
    *n = 0;
    if (path == NULL || *path == '\0')
        return ilrl_error(ILRL_EUSAGE, "no keys file named (keys:FILE)");
    int status = open_keys(path, &file);
    while (status == ILRL_OK && fgets(line, sizeof line, file) != NULL) {
        long frame;
        size_t length = strlen(line);
        bytes += (long)length;
        line_number++;
        if (line_number > ILRL_KEYS_MAX_LINES || bytes > ILRL_KEYS_MAX_BYTES) {
            status = ilrl_error(ILRL_EUSAGE, "%s: more than %ld lines or %ld bytes, the "
                                "most a keys file may have", path, ILRL_KEYS_MAX_LINES,
                                (long)ILRL_KEYS_MAX_BYTES);
            break;
        }
        int kind = (length == sizeof line - 1 && line[length - 1] != '\n' && !feof(file))
                       ? -1 : parse_keys_line(line, &frame);
        if (kind < 0) {
            line[strcspn(line, "\r\n")] = '\0';
            status = ilrl_error(ILRL_EUSAGE,
                                "%s:%ld: expected one frame index >= 0 per line, got '%.40s'",
                                path, line_number, line);
        }
        else if (kind > 0)
            status = append_frame(frames, n, &capacity, frame);
    }
    if (status == ILRL_OK && ferror(file))
        status = ilrl_error(ILRL_EUSAGE, "%s: read error after line %ld", path, line_number);
    if (file != NULL)
        fclose(file);
    if (status != ILRL_OK) {
        free(*frames);
        *frames = NULL;
        *n = 0;
    }
    return status;
}

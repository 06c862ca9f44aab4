/* output_file.c -- owns the atomic publication of an output file (see
 * include/ilrl/output_file.h): temporary name, space reservation, fsync,
 * move into place, directory fsync and cleanup.  Plain POSIX; no NetCDF. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ilrl/error.h"
#include "ilrl/output_file.h"
#include "ilrl/progress.h"

struct ilrl_output_file {
    char *path;        /* final name, as given */
    char *temporary;   /* PATH.tmp.<pid>, in the same directory */
    char *directory;   /* directory of path ("." for a bare name) */
    int force;         /* replace an existing file at path */
    int temporary_exists; /* ours to remove: not yet moved into place */
};

/* The directory holding `path` ("." for a bare name, "/" for "/name"),
 * malloc'd; NULL when out of memory. */
static char *directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t length = slash == NULL || slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(length + 1);

    if (dir == NULL)
        return NULL;
    memcpy(dir, slash == NULL ? "." : path, length);
    dir[length] = '\0';
    return dir;
}

/* "PATH.tmp.<pid>": the one place that names the temporary.  Returns the
 * length it needs (without the '\0'), as snprintf. */
static size_t temporary_name(const char *path, char *buf, size_t size)
{
    return (size_t)snprintf(buf, size, "%s.tmp.%ld", path, (long)getpid());
}

const char *ilrl_output_file_type_name(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

/* The name's last component must fit the directory's NAME_MAX and the
 * whole name PATH_MAX; `what` names it in the message ("temporary file"). */
static int check_length(const char *path, const char *name, const char *dir,
                        const char *what)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash != NULL ? slash + 1 : name;
    long name_max = pathconf(dir, _PC_NAME_MAX);

    if (name_max <= 0)
        name_max = NAME_MAX;
    if (strlen(name) >= PATH_MAX)
        return ilrl_error(ILRL_EOUTPUT, "%s: the %s name %s is longer than the "
                          "system allows (%d bytes)", path, what, name, PATH_MAX);
    if ((long)strlen(base) > name_max)
        return ilrl_error(ILRL_EOUTPUT, "%s: the %s name %s is longer than the "
                          "directory allows (%ld bytes for a name)", path, what,
                          base, name_max);
    return ILRL_OK;
}

int ilrl_output_file_check(const char *path, int force)
{
    struct stat info;
    char *dir, *temporary;
    size_t temporary_size;
    int status = ILRL_OK;

    if (path == NULL || path[0] == '\0')
        return ilrl_error(ILRL_EOUTPUT, "output file name is empty");
    if (stat(path, &info) == 0 && S_ISDIR(info.st_mode))
        return ilrl_error(ILRL_EOUTPUT, "%s is a directory, not a file name", path);
    if (lstat(path, &info) == 0) {
        /* rename() would put a regular file where a FIFO or device node was
         * (as root, --out /dev/null --force would replace /dev/null). */
        if (!S_ISREG(info.st_mode) && !S_ISLNK(info.st_mode))
            return ilrl_error(ILRL_EOUTPUT, "%s is %s, not a regular file: not "
                              "replaced, even with --force", path,
                              ilrl_output_file_type_name(info.st_mode));
        if (!force)
            return ilrl_error(ILRL_EOUTPUT, "%s exists (use --force to overwrite)",
                              path);
    }
    dir = directory_of(path);
    temporary_size = temporary_name(path, NULL, 0) + 1;
    temporary = malloc(temporary_size);
    if (dir == NULL || temporary == NULL) {
        free(dir);
        free(temporary);
        return ilrl_error(ILRL_EFAILED, "out of memory");
    }
    temporary_name(path, temporary, temporary_size);
    /* NetCDF reports a missing directory as "Permission denied": ask first. */
    if (stat(dir, &info) != 0)
        status = ilrl_error(ILRL_EOUTPUT, "%s: cannot write in directory %s: %s",
                            path, dir, strerror(errno));
    else if (!S_ISDIR(info.st_mode))
        status = ilrl_error(ILRL_EOUTPUT, "%s: %s is not a directory", path, dir);
    else if (access(dir, W_OK | X_OK) != 0)
        status = ilrl_error(ILRL_EOUTPUT, "%s: cannot write in directory %s: %s",
                            path, dir, strerror(errno));
    /* Exactly the names the write will use: the file and its temporary. */
    if (status == ILRL_OK)
        status = check_length(path, path, dir, "output file");
    if (status == ILRL_OK)
        status = check_length(path, temporary, dir, "temporary file");
    free(dir);
    free(temporary);
    return status;
}

/* Creates the temporary and claims `size` bytes for it (see the header for
 * why).  On failure the temporary is removed. */
static int reserve_space(const struct ilrl_output_file *file, off_t size)
{
    int fd = open(file->temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                  0666);
    int error = 0;

    if (fd < 0)
        return ilrl_error(ILRL_EOUTPUT, "%s: cannot create temporary file %s: %s",
                          file->path, file->temporary, strerror(errno));
    if (size > 0) {
        error = posix_fallocate(fd, 0, size);
        if (error == EINVAL || error == EOPNOTSUPP) /* cannot reserve here: just try */
            error = 0;
    }
    if (close(fd) != 0 && error == 0)
        error = errno;
    if (error != 0) {
        unlink(file->temporary);
        return ilrl_error(ILRL_EOUTPUT, "%s: no room for the file (%.1f MB) in its "
                          "directory: %s", file->path, (double)size / 1e6,
                          strerror(error));
    }
    return ILRL_OK;
}

int ilrl_output_file_begin(const char *path, int force, off_t size,
                           struct ilrl_output_file **out)
{
    struct ilrl_output_file *file;
    size_t temporary_size;
    int status;

    *out = NULL;
    if ((status = ilrl_output_file_check(path, force)) != ILRL_OK)
        return status;
    file = calloc(1, sizeof *file);
    if (file == NULL)
        return ilrl_error(ILRL_EFAILED, "out of memory");
    temporary_size = temporary_name(path, NULL, 0) + 1;
    file->path = strdup(path);
    file->temporary = malloc(temporary_size);
    file->directory = directory_of(path);
    file->force = force;
    if (file->path == NULL || file->temporary == NULL || file->directory == NULL) {
        ilrl_output_file_free(file);
        return ilrl_error(ILRL_EFAILED, "out of memory");
    }
    temporary_name(path, file->temporary, temporary_size);
    if ((status = reserve_space(file, size)) != ILRL_OK) {
        ilrl_output_file_free(file);
        return status;
    }
    file->temporary_exists = 1;
    *out = file;
    return ILRL_OK;
}

const char *ilrl_output_file_temporary(const struct ilrl_output_file *file)
{
    return file->temporary;
}

const char *ilrl_output_file_path(const struct ilrl_output_file *file)
{
    return file->path;
}

/* fsync of a file or directory by name: its data, or the rename in it,
 * reaches the disk.  File systems that cannot sync a directory (EINVAL,
 * ENOTSUP) are accepted: the rename stands anyway. */
static int sync_path(const struct ilrl_output_file *file, const char *name,
                     int directory)
{
    const char *what = directory ? "directory" : "temporary file";
    int fd = open(name, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
    int saved;

    if (fd < 0)
        return ilrl_error(ILRL_EOUTPUT, "%s: cannot open %s %s to sync it: %s",
                          file->path, what, name, strerror(errno));
    if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP) {
        saved = errno;
        close(fd);
        return ilrl_error(ILRL_EOUTPUT, "%s: fsync of %s %s failed: %s", file->path,
                          what, name, strerror(saved));
    }
    if (close(fd) != 0)
        return ilrl_error(ILRL_EOUTPUT, "%s: closing %s %s failed: %s", file->path,
                          what, name, strerror(errno));
    return ILRL_OK;
}

/* Puts the temporary under the final name (see the header). */
static int move_into_place(struct ilrl_output_file *file)
{
    struct stat info;

    if (!file->force) {
        if (link(file->temporary, file->path) == 0) {
            /* The target is complete; a second name that cannot be removed
             * now is retried by ilrl_output_file_free. */
            if (unlink(file->temporary) == 0)
                file->temporary_exists = 0;
            return ILRL_OK;
        }
        if (errno == EEXIST)
            return ilrl_error(ILRL_EOUTPUT, "%s exists (use --force to overwrite)",
                              file->path);
        if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP
            && errno != EXDEV && errno != ENOSYS && errno != EMLINK)
            return ilrl_error(ILRL_EOUTPUT, "%s: cannot link %s into place: %s",
                              file->path, file->temporary, strerror(errno));
        /* No hard links here: a last check, then rename. */
        if (access(file->path, F_OK) == 0)
            return ilrl_error(ILRL_EOUTPUT, "%s exists (use --force to overwrite)",
                              file->path);
    }
    if (lstat(file->path, &info) == 0 && !S_ISREG(info.st_mode) && !S_ISLNK(info.st_mode))
        return ilrl_error(ILRL_EOUTPUT, "%s is %s, not a regular file: not "
                          "replaced, even with --force", file->path,
                          ilrl_output_file_type_name(info.st_mode));
    if (rename(file->temporary, file->path) != 0)
        return ilrl_error(ILRL_EOUTPUT, "%s: cannot rename %s into place: %s",
                          file->path, file->temporary, strerror(errno));
    file->temporary_exists = 0;
    return ILRL_OK;
}

int ilrl_output_file_commit(struct ilrl_output_file *file)
{
    int status = sync_path(file, file->temporary, 0);

    if (status == ILRL_OK)
        status = move_into_place(file);
    if (status != ILRL_OK) {
        if (file->temporary_exists && unlink(file->temporary) == 0)
            file->temporary_exists = 0;
        return status;
    }
    return sync_path(file, file->directory, 1);
}

void ilrl_output_file_free(struct ilrl_output_file *file)
{
    if (file == NULL)
        return;
    if (file->temporary_exists)
        unlink(file->temporary);
    free(file->path);
    free(file->temporary);
    free(file->directory);
    free(file);
}

/* Whether process `pid` no longer runs: gone (ESRCH), or a zombie -- a
 * SIGKILLed rank whose parent died too waits for a reaper that a container's
 * init may never be, and kill(pid, 0) still succeeds on it. */
static int process_gone(long pid)
{
    if (kill((pid_t)pid, 0) != 0)
        return errno == ESRCH;
    char stat_path[64], line[512];
    snprintf(stat_path, sizeof stat_path, "/proc/%ld/stat", pid);
    FILE *stat_file = fopen(stat_path, "r");
    if (stat_file == NULL)
        return 0;
    int gone = 0;
    if (fgets(line, sizeof line, stat_file) != NULL) {
        const char *paren = strrchr(line, ')');   /* the name may hold spaces */
        gone = paren != NULL && paren[1] == ' ' && paren[2] == 'Z';
    }
    fclose(stat_file);
    return gone;
}

void ilrl_output_file_remove_stale(const char *path, const char *const suffixes[],
                                   size_t n_suffixes)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    size_t dir_length = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
    char dir[4096], prefix[4096], stale[8192];

    if (dir_length >= sizeof dir)
        return;
    memcpy(dir, slash == NULL ? "." : path, dir_length);
    dir[dir_length] = '\0';
    DIR *listing = opendir(dir);
    if (listing == NULL)
        return;
    struct dirent *entry;
    while ((entry = readdir(listing)) != NULL) {
        for (size_t k = 0; k < n_suffixes; k++) {
            int length = snprintf(prefix, sizeof prefix, "%s%s.tmp.", base, suffixes[k]);
            if (length < 0 || (size_t)length >= sizeof prefix)
                continue;
            size_t n = (size_t)length;
            const char *digits = entry->d_name + n;
            if (strncmp(entry->d_name, prefix, n) != 0 || digits[0] == '\0' || digits[0] == '0'
                || strspn(digits, "0123456789") != strlen(digits) || strlen(digits) > 9)
                continue;
            long pid = strtol(digits, NULL, 10);
            if ((pid_t)pid == getpid() || !process_gone(pid))
                continue;
            snprintf(stale, sizeof stale, "%s%s%s", slash == NULL ? "" : dir,
                     slash == NULL ? "" : "/", entry->d_name);
            if (unlink(stale) == 0)
                ilrl_notice("removed %s, left by a run (pid %ld) that no longer runs", stale, pid);
        }
    }
    closedir(listing);
}

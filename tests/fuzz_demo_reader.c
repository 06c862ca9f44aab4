/* fuzz_demo_reader -- libFuzzer target for the demonstration reader
 * (ilrl_demo_read, src/demo_io.c + the rules of src/demo.c).
 *
 * NetCDF opens files by name, so each input is written to one temporary
 * file per process (in $TMPDIR, /tmp by default) and read from there; the
 * reader must return ILRL_OK with a dataset that passes validation, or an
 * error status with a one-line message, and never crash, leak or read out of
 * bounds.  Built and run by `make fuzz` (clang -fsanitize=fuzzer,address,
 * undefined); the seed corpus is tests/fuzz/corpus (tests/fuzz/make-corpus.sh)
 * and inputs that once failed are kept in tests/fuzz/regressions, which
 * tests/bad_input.np2 replays through ilrl-landscape.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ilrl/demo.h"
#include "ilrl/demo_io.h"
#include "ilrl/error.h"

static char input_path[4096];

static void remove_input(void)
{
    if (input_path[0] != '\0')
        unlink(input_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");
    (void)argc;
    (void)argv;
    snprintf(input_path, sizeof input_path, "%s/fuzz_demo_reader.%ld.nc",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", (long)getpid());
    atexit(remove_input);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ilrl_demo *demo = NULL;
    FILE *file = fopen(input_path, "wb");
    int status;

    if (file == NULL || fwrite(data, 1, size, file) != size || fclose(file) != 0)
        abort(); /* the harness itself is broken: say so loudly */
    status = ilrl_demo_read(input_path, &demo);
    if (status == ILRL_OK) {
        /* What the reader accepts, the rest of the program relies on. */
        if (demo == NULL || ilrl_demo_validate(demo, "fuzz") != ILRL_OK)
            abort();
    } else {
        const char *message = ilrl_error_message();
        if (demo != NULL || message[0] == '\0' || strchr(message, '\n') != NULL)
            abort();
    }
    ilrl_demo_free(demo);
    return 0;
}

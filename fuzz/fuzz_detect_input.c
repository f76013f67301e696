/* fuzz_detect_input.c -- the detector input object parser
 * (trawl_detect_input_parse) on arbitrary bytes: it must either fail with
 * TRAWL_EFORMAT/ELIMIT/ENOMEM and no output, or give an object whose counts
 * and lengths agree with its arrays and strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/trawl.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_strings(char **v, size_t n)
{
    if (n && !v)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!v[i])
            abort();
        else
            (void)strlen(v[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trawl_detect_input *in = (trawl_detect_input *)data; /* poisoned: must be overwritten */
    trawl_error err;
    trawl_status st = trawl_detect_input_parse((const char *)data, size, &in, &err);
    if (st != TRAWL_OK) {
        if (in != NULL || (st != TRAWL_EFORMAT && st != TRAWL_ELIMIT && st != TRAWL_ENOMEM))
            abort();
        if (err.offset > (int64_t)size)
            abort();
        return 0;
    }
    if (in->prompt && (in->prompt[in->prompt_len] != 0 || strlen(in->prompt) > in->prompt_len))
        abort(); /* texts keep NULs: the length is the JSON string's */
    for (size_t i = 0; i < in->n_chat; i++)
        if (!in->chat[i].text || in->chat[i].text[in->chat[i].len] || !in->chat[i].role ||
            !in->chat[i].where)
            abort();
    check_strings(in->urls, in->n_urls);
    check_strings(in->hosts, in->n_hosts);
    check_strings(in->files, in->n_files);
    check_strings(in->pcaps, in->n_pcaps);
    check_strings(in->behavior, in->n_behavior);
    check_strings(in->syscalls, in->n_syscalls);
    check_strings(in->history, in->n_history);
    for (size_t i = 0; i < in->n_connections; i++)
        if (in->connections[i].port < -1 || in->connections[i].port > 65535)
            abort();
    for (size_t i = 0; i < in->n_memory; i++)
        if (strlen(in->memory[i].perms) >= sizeof(in->memory[i].perms))
            abort();
    if (in->data_len && !in->data)
        abort();
    if (in->n_urls + in->n_hosts + in->n_connections + in->n_processes + in->n_files + in->n_pcaps +
            in->n_behavior + in->n_syscalls + in->n_memory + in->n_history >
        100000)
        abort();
    trawl_detect_input_free(in);
    return 0;
}

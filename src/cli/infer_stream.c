/* infer_stream.c -- `trawl infer stream`: how a raw byte stream is framed
 * (a fixed record size or a delimiter), said as the `trawl frame` command
 * that cuts it. */
#include "infer_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: trawl infer stream [--json] FILE|-\n"
    "\n"
    "Look for the framing of a raw byte stream: a fixed record size (the period at\n"
    "which bytes repeat most, never a multiple of it), or a delimiter of 1 or 2\n"
    "bytes (bytes after which messages visibly begin). Prints the `trawl frame`\n"
    "command that cuts the stream. The record size is looked for in the first 64 KiB.\n"
    "  --json     one JSON object\n"
    "Exit status: 0 something found, 1 nothing, 2 error.\n";

int cli_infer_stream(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool json = false;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j') {
            json = true;
        } else if (c == 'h') {
            fputs(usage_text, stdout);
            return 0;
        } else {
            fputs("(see `trawl infer stream --help`)\n", stderr);
            return CLI_ERROR;
        }
    }
    if (optind != argc - 1) {
        cli_errorf("infer stream", "expected one FILE (see `trawl infer stream --help`)");
        return CLI_ERROR;
    }
    cli_input in;
    if (cli_input_open(argv[optind], &in) != 0)
        return CLI_ERROR;
    uint8_t *copy = NULL;
    const uint8_t *p = in.data;
    size_t n = in.len;
    if (!p) /* a pipe: the first MiB is plenty */
        p = copy = infer_slurp(&in, (size_t)1 << 20, &n);
    trawl_infer_stream s;
    trawl_error err;
    trawl_error_clear(&err);
    int rc = CLI_ERROR;
    if (!p) {
        cli_errorf("infer stream", "out of memory");
    } else if (trawl_infer_stream_structure(p, n, &s, &err) != TRAWL_OK) {
        cli_report("infer stream", argv[optind], &err);
    } else if (json) {
        printf("{\"bytes\":%zu,\"record_size\":%llu,\"record_score\":%.3f,\"delimiter\":", n,
               (unsigned long long)s.record_size, s.record_score);
        if (s.delimiter_len) {
            fputc('"', stdout);
            cli_hex(stdout, s.delimiter, s.delimiter_len);
            printf("\",\"messages\":%llu,\"delimiter_score\":%.3f}\n",
                   (unsigned long long)s.delimited, s.delimiter_score);
        } else {
            printf("null}\n");
        }
        rc = s.record_size || s.delimiter_len ? 0 : CLI_NONE;
    } else {
        if (s.record_size)
            printf("record size %llu (%.0f%% of bytes repeat one record later): trawl frame "
                   "records --size %llu\n",
                   (unsigned long long)s.record_size, 100 * s.record_score,
                   (unsigned long long)s.record_size);
        if (s.delimiter_len) {
            printf("delimiter ");
            cli_hex(stdout, s.delimiter, s.delimiter_len);
            printf(" (%llu messages; %.0f%% of them begin with one byte): trawl frame lines "
                   "--delimiter ",
                   (unsigned long long)s.delimited, 100 * s.delimiter_score);
            cli_hex(stdout, s.delimiter, s.delimiter_len);
            printf("\n");
        }
        if (!s.record_size && !s.delimiter_len)
            fprintf(stderr, "trawl infer stream: no record size or delimiter found\n");
        rc = s.record_size || s.delimiter_len ? 0 : CLI_NONE;
    }
    free(copy);
    cli_input_close(&in);
    return rc;
}

/* main.c -- the `trawl` command: dispatch to one file per subcommand. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"scan", cli_scan, "search bytes for binary patterns (regex-style or YARA hex)"},
    {"frame", cli_frame, "cut bytes into TLV records, fixed records, packets, lines, pcap packets"},
    {"fuzzy", cli_fuzzy, "approximate byte search (Levenshtein / Hamming)"},
    {"similar", cli_similar, "pairs of similar windows in one input"},
    {"infer", cli_infer, "infer message formats: types, fields, kinds; checksum recovery"},
    {"anomaly", cli_anomaly, "learn a baseline of traffic or series; report what departs from it"},
    {"firmware", cli_firmware,
     "architecture, Cortex-M peripherals and SDKs of a raw firmware image"},
    {"analyze", cli_analyze, "entropy, n-grams, repeats, columns, alignment, clustering"},
    {"detect", cli_detect, "screen a prompt, file, capture or input object for threats"},
    {"serve", cli_serve, "serve the detectors over HTTP (cache, coalescing, metrics)"},
    {"model", cli_model, "train, evaluate, quantise, prune, distil and export the learned tier"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: trawl COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`trawl COMMAND --help` describes a command; `man trawl` (docs/trawl.1) all "
                 "of them.\nExit status: 0 found, 1 nothing found, 2 error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_ERROR;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("trawl %s\n", trawl_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].run && !strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "trawl: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return CLI_ERROR;
}

/* infer.c -- `trawl infer`: message types, field boundaries and field kinds
 * of the messages in a capture, framed bytes or text; a readable table, a
 * JSON spec with per-message boundaries, a Wireshark Lua dissector or a
 * `trawl frame packets` header format. `trawl infer crc` recovers a
 * checksum alone; `trawl infer --eval DIR` scores inference against truth. */
#include "infer_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: trawl infer [--frames SPEC] [--json] [--lua FILE] [--struct] [--no-types]\n"
    "                   [--no-checksums] [--max-types N] [--max-prefix N] FILE|-\n"
    "       trawl infer --eval DIR [--verbose]\n"
    "       trawl infer --generate DIR [--count N] [--seed S] [--messages M]\n"
    "       trawl infer crc [OPTIONS] FILE|-        (see `trawl infer crc --help`)\n"
    "       trawl infer stream [--json] FILE|-      (see `trawl infer stream --help`)\n"
    "\n"
    "Infer the format of the messages in FILE: message types (a type field whose value\n"
    "splits the messages of a port into structurally consistent groups), field\n"
    "boundaries (constant runs, byte significance of integers, text, lengths,\n"
    "counters, checksums, alignment) and field kinds (const, enum, counter, length,\n"
    "checksum, timestamp, float, text, id, random, bytes, payload).\n"
    "\n"
    "FILE is a pcap or pcapng capture (every TCP or UDP payload is a message, grouped\n"
    "by service port; no reassembly), text with one message per line in hex, or the\n"
    "JSON lines of `trawl frame --json`; with --frames SPEC, the units that `trawl\n"
    "frame` cuts from a binary file (e.g. --frames packets,header='>HH',length-field=1).\n"
    "\n"
    "  --json           one JSON object per type (its fields with offset, size, kind,\n"
    "                   byte order, confidence and evidence), then one per message\n"
    "                   (its index, type and field boundaries)\n"
    "  --lua FILE       write a Wireshark Lua dissector for the inferred format,\n"
    "                   registered on the capture's service port(s)\n"
    "  --struct         print the `trawl frame packets` options for a length field\n"
    "                   found in every type (exit 1 when there is none)\n"
    "  --no-types       one type per port\n"
    "  --no-checksums   skip checksum recovery\n"
    "  --max-types N    most values a type field may take (default 32)\n"
    "  --max-prefix N   longest message prefix examined (default 1024)\n"
    "  --eval DIR       for every DIR/NAME.pcap with a DIR/NAME.fields.jsonl beside it,\n"
    "                   infer and score the boundaries against the truth (precision,\n"
    "                   recall, F1, perfection; see docs/infer.md)\n"
    "  --verbose        with --eval: also each message's inferred boundaries\n"
    "  --generate DIR   write --count (default 100) random protocols with known truth\n"
    "                   as DIR/gen-SEED.pcap and DIR/gen-SEED.fields.jsonl, seeds from\n"
    "                   --seed (default 1), --messages (default 200) each; --eval reads\n"
    "                   them like real captures and also scores the field kinds\n"
    "  -h, --help       this text\n"
    "\n"
    "Exit status: 0 inferred, 1 no messages, 2 error.\n";

int cli_infer(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "crc"))
        return cli_infer_crc(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "stream"))
        return cli_infer_stream(argc - 1, argv + 1);
    enum {
        O_FRAMES = 256,
        O_JSON,
        O_LUA,
        O_STRUCT,
        O_NOTYPES,
        O_NOCHK,
        O_MAXT,
        O_MAXP,
        O_EVAL,
        O_VERBOSE,
        O_GEN,
        O_COUNT,
        O_SEED,
        O_MSGS
    };
    static const struct option opts[] = {{"frames", required_argument, NULL, O_FRAMES},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"lua", required_argument, NULL, O_LUA},
                                         {"struct", no_argument, NULL, O_STRUCT},
                                         {"no-types", no_argument, NULL, O_NOTYPES},
                                         {"no-checksums", no_argument, NULL, O_NOCHK},
                                         {"max-types", required_argument, NULL, O_MAXT},
                                         {"max-prefix", required_argument, NULL, O_MAXP},
                                         {"eval", required_argument, NULL, O_EVAL},
                                         {"verbose", no_argument, NULL, O_VERBOSE},
                                         {"generate", required_argument, NULL, O_GEN},
                                         {"count", required_argument, NULL, O_COUNT},
                                         {"seed", required_argument, NULL, O_SEED},
                                         {"messages", required_argument, NULL, O_MSGS},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *frames = NULL, *lua = NULL, *eval = NULL, *gen = NULL;
    uint64_t count = 100, seed = 1, nmsgs = 200;
    bool json = false, strct = false, verbose = false;
    trawl_infer_opts io = {0};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case O_FRAMES:
            frames = optarg;
            break;
        case O_JSON:
            json = true;
            break;
        case O_LUA:
            lua = optarg;
            break;
        case O_STRUCT:
            strct = true;
            break;
        case O_NOTYPES:
            io.no_types = true;
            break;
        case O_NOCHK:
            io.no_checksums = true;
            break;
        case O_MAXT:
        case O_MAXP:
            if (!cli_parse_size(optarg, &v) || v == 0 || v > (c == O_MAXT ? 255 : 1u << 20)) {
                cli_errorf("infer", "--%s: expected a number in 1..%u",
                           c == O_MAXT ? "max-types" : "max-prefix", c == O_MAXT ? 255u : 1u << 20);
                return CLI_ERROR;
            }
            if (c == O_MAXT)
                io.max_types = (unsigned)v;
            else
                io.max_prefix = (unsigned)v;
            break;
        case O_EVAL:
            eval = optarg;
            break;
        case O_VERBOSE:
            verbose = true;
            break;
        case O_GEN:
            gen = optarg;
            break;
        case O_COUNT:
        case O_SEED:
        case O_MSGS:
            if (!cli_parse_size(optarg, &v) || (c != O_SEED && (v == 0 || v > 100000))) {
                cli_errorf("infer", "bad number '%s'", optarg);
                return CLI_ERROR;
            }
            *(c == O_COUNT ? &count : c == O_SEED ? &seed : &nmsgs) = v;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs("(see `trawl infer --help`)\n", stderr);
            return CLI_ERROR;
        }
    }
    if (gen)
        return infer_generate(gen, seed, count, (unsigned)nmsgs);
    if (eval) {
        if (optind != argc) {
            cli_errorf("infer", "--eval takes a directory and no FILE");
            return CLI_ERROR;
        }
        return cli_infer_eval(eval, &io, verbose);
    }
    if (optind != argc - 1) {
        cli_errorf("infer", "expected one FILE (see `trawl infer --help`)");
        return CLI_ERROR;
    }
    infer_msgs m;
    if (infer_load("infer", argv[optind], frames, &m) != 0)
        return CLI_ERROR;
    if (m.n == 0) {
        infer_msgs_free(&m);
        fprintf(stderr, "trawl infer: %s: no messages\n", argv[optind]);
        return CLI_NONE;
    }
    trawl_infer_result *r;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_infer_run(m.m, m.n, &io, &r, &err) != TRAWL_OK) {
        cli_report("infer", argv[optind], &err);
        infer_msgs_free(&m);
        return CLI_ERROR;
    }
    int rc = 0;
    if (lua)
        rc = infer_write_lua(lua, r, &m);
    if (rc == 0 && strct)
        rc = infer_print_struct(stdout, r);
    else if (rc == 0 && json)
        rc = infer_print_json(stdout, r, &m);
    else if (rc == 0 && !lua)
        rc = infer_print_table(stdout, r);
    trawl_infer_result_free(r);
    infer_msgs_free(&m);
    return rc;
}

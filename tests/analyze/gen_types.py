#!/usr/bin/python3
# gen_types.py -- the true message type of every dissected payload of the
# shared captures, for the clustering evaluation (test_analyze_messages.c).
# usage: gen_types.py SHARED_DATA_PCAP_DIR OUT_DIR
# Writes OUT_DIR/NAME.types.tsv: one line per record of NAME.fields.jsonl
# whose 'protos' is not empty: the type, a tab, the payload in hex.
#
# The type is the protocols above the transport, the direction (request:
# source port above destination port, as a client's ephemeral port is;
# response otherwise), and the values of the fields that name a message's
# kind where present: whole-byte fields, and the bit fields whose byte
# holds nothing else that varies within a kind (Modbus's function code and
# CIP's service code share their byte only with the response / exception
# bit, itself part of the kind; BACnet's PDU type its flags). Other bit
# fields are left out: DNP3's control byte also holds the FCB, which
# alternates between messages of one kind.
import json, os, sys

KEYS = ['modbus.func_code', 'cotp.type', 's7comm.header.rosctr', 's7comm.param.func',
        's7comm.param.userdata.subfunc', 'dnp3.al.func', 'enip.command', 'cip.sc',
        'bvlc.function', 'bacapp.type', 'bacapp.confirmed_service', 'bacapp.unconfirmed_service']
WHOLE_BYTE_BITFIELDS = {'modbus.func_code', 'cip.sc', 'bacapp.type', 'cotp.type'}

src, out = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(src)):
    if not f.endswith('.fields.jsonl'):
        continue
    name = f[:-len('.fields.jsonl')]
    rows = []
    for line in open(os.path.join(src, f)):
        r = json.loads(line)
        if not r['protos']:
            continue
        p = bytes.fromhex(r['payload_hex'])
        sport, dport = int(r['src'].rsplit(':', 1)[1]), int(r['dst'].rsplit(':', 1)[1])
        parts = ['/'.join(r['protos']), 'request' if sport > dport else 'response']
        seen = set()
        for key in KEYS:
            for off, ln, fname, bit in r['fields']:
                if fname == key and (not bit or key in WHOLE_BYTE_BITFIELDS) and key not in seen:
                    parts.append('%s=%s' % (key, p[off:off + ln].hex()))
                    seen.add(key)
        rows.append('%s\t%s' % (' '.join(parts), r['payload_hex']))
    with open(os.path.join(out, name + '.types.tsv'), 'w') as o:
        o.write('\n'.join(rows) + '\n')
    print(name, len(rows), len(set(x.split('\t')[0] for x in rows)), file=sys.stderr)

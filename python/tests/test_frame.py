"""Framing from Python: units against a struct-loop oracle written here for
random well-formed streams; faults (kind, offset, index) for damaged ones;
every reading path (buffer, path, fd, FileIO, BytesIO, pipe, read()-only
objects) gives the same units; NumPy arrays equal the units; captures
against tshark's figures committed in tests/data."""

import io
import os
import random
import struct
import threading

import pytest

import trawl
from conftest import DATA

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

FMT = {1: "B", 2: "H", 4: "I"}


def _tlv_stream(rng, ts, ls, little, incl):
    out, recs = bytearray(), []
    for _ in range(rng.randint(0, 40)):
        t = rng.randrange(1 << (8 * ts))
        v = bytes(rng.randrange(256) for _ in range(rng.randint(0, 20)))
        n = len(v) + (ts + ls if incl else 0)
        if n >= 1 << (8 * ls):
            continue
        recs.append((len(out), t, v))
        out += struct.pack(("<" if little else ">") + FMT[ts] + FMT[ls], t, n) + v
    return bytes(out), recs


def test_tlv_against_struct_loop():
    rng = random.Random(1)
    for _ in range(100):
        ts, ls = rng.choice([1, 2, 4]), rng.choice([1, 2, 4])
        little, incl = rng.random() < 0.5, rng.random() < 0.5
        data, want = _tlv_stream(rng, ts, ls, little, incl)
        f = trawl.TLV(type_size=ts, length_size=ls, little_endian=little,
                      length_includes_header=incl)
        got = [(u.offset, u.type, bytes(u.value)) for u in f.units(data)]
        assert got == want
        # a cut anywhere inside the last record is a truncation at its offset
        if want:
            cut = rng.randrange(want[-1][0] + 1, len(data))
            with pytest.raises(trawl.TruncatedFrameError) as e:
                f.parse(data[:cut])
            assert e.value.offset == want[-1][0] and e.value.index == len(want) - 1
            assert e.value.kind in ("truncated-header", "truncated-value")
            assert [u.offset for u in e.value.units] == [r[0] for r in want[:-1]]


def test_faults_resync_and_kinds():
    f = trawl.TLV(length_includes_header=True)
    with pytest.raises(trawl.FrameError) as e:
        f.parse(b"\x01\x03a\x02\x01\xff")
    assert e.value.kind == "length-below-header" and e.value.offset == 3
    assert e.value.status == "EFORMAT" and isinstance(e.value, ValueError)
    got = trawl.TLV().parse(b"\x01\x01a\x02\x09zz", resync=True)
    assert isinstance(got[-1], trawl.Fault) and got[-1].kind == "truncated-value"
    assert got[-1].offset == 3 and got[-1].skipped == 4
    with pytest.raises(trawl.TruncatedFrameError) as e:
        list(trawl.records(b"abcdefg", 3))
    assert e.value.kind == "short-tail" and e.value.offset == 6 and e.value.index == 2
    with pytest.raises(trawl.FrameError) as e:
        list(trawl.lines(b"ok\n" + b"x" * 50 + b"\n", max_size=10))
    assert e.value.kind == "record-too-large" and e.value.offset == 3
    with pytest.raises(trawl.InvalidArgumentError):
        trawl.TLV(type_size=3)
    with pytest.raises(trawl.PatternSyntaxError) as e:
        trawl.Packets(">Hz", 0)
    assert e.value.column == 3


def test_records_packets_lines_against_oracle():
    rng = random.Random(4)
    for _ in range(30):
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
        size = rng.randint(1, 9)
        n = len(data) // size
        recs = [data[i * size:(i + 1) * size] for i in range(n)]
        got = trawl.Records(size).parse(data[:n * size])
        assert [bytes(u.value) for u in got] == recs
        msgs = [bytes(rng.choice(b"ab\n") for _ in range(rng.randint(0, 6))) for _ in range(5)]
        text = b"|".join(m.replace(b"|", b"") for m in msgs)
        parts = text.split(b"|") if text else []
        if text.endswith(b"|"):
            parts.pop()  # a final delimiter ends the last message; no empty one after it
        assert [bytes(u.value) for u in trawl.lines(text, b"|")] == parts
        pk, want = bytearray(), []
        for _ in range(rng.randint(0, 10)):
            body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 30)))
            want.append((len(pk), body))
            pk += struct.pack(">BH", 0x7E, len(body)) + body
        got = trawl.packets(bytes(pk), ">BH", 1)
        assert [(u.offset, bytes(u.value)) for u in got] == want


def test_unit_fields_tlv_containers_and_delimited():
    data = b"\x30\x06\x02\x01\x05\x04\x01\xff\x09\x00"
    us = trawl.TLV(containers=[0x30]).parse(data)
    assert [(u.type, u.depth, u.container) for u in us] == [(0x30, 0, True), (2, 1, False),
                                                           (4, 1, False), (9, 0, False)]
    assert us[1].offset == 2 and us[1].value_offset == 4 and bytes(us[1].value) == b"\x05"
    ls = trawl.Lines(b"\r\n").parse(b"a\r\n\r\nbc")
    assert [(bytes(u.value), u.terminated, u.length) for u in ls] == [(b"a", True, 3),
                                                                    (b"", True, 2),
                                                                    (b"bc", False, 2)]
    p = trawl.Packets(">HH", 1)
    (u,) = p.parse(b"\xaa\x55\x00\x02XY")
    assert p.header_struct.unpack(u.data) == (0xAA55, 2) and bytes(u.value) == b"XY"


def _sources(data, tmp_path):
    path = tmp_path / "units.bin"
    path.write_bytes(data)
    yield "path", lambda: str(path)
    yield "pathlike", lambda: path
    fd = os.open(path, os.O_RDONLY)
    yield "fd", lambda: fd
    yield "FileIO", lambda: io.FileIO(path)
    yield "BufferedReader", lambda: open(path, "rb")
    yield "BytesIO", lambda: io.BytesIO(data)

    class ReadOnly:  # only read(): no readinto, no fileno
        def __init__(self):
            self.b = io.BytesIO(data)

        def read(self, n):
            return self.b.read(min(n, 7))

    yield "read-only", ReadOnly
    os.close(fd)


def test_every_reading_path_gives_the_same_units(tmp_path):
    rng = random.Random(9)
    data, _ = _tlv_stream(rng, 2, 2, False, False)
    data += b"\x00\x01\x00\x09abc"  # a truncated record at the end
    f = trawl.TLV(type_size=2, length_size=2)
    want = f.parse(data, resync=True)
    for name, src in _sources(data, tmp_path):
        s = src()
        if name == "fd":
            os.lseek(s, 0, os.SEEK_SET)
        got = list(f.read(s, resync=True, window=4096))
        assert [(type(u), getattr(u, "offset", None)) for u in got] == \
            [(type(u), u.offset) for u in want], name
        assert [bytes(u.value) for u in got if isinstance(u, trawl.Unit)] == \
            [bytes(u.value) for u in want if isinstance(u, trawl.Unit)], name


def test_pipe_and_reader_errors():
    r, w = os.pipe()
    payload = b"".join(b"line %d\n" % i for i in range(20000))

    def writer():
        with os.fdopen(w, "wb") as fw:
            fw.write(payload)

    t = threading.Thread(target=writer)
    t.start()
    got = [bytes(u.value) for u in trawl.Lines().read(r, window=64 * 1024)]
    t.join()
    os.close(r)
    assert got == payload.split(b"\n")[:-1]

    class Broken:
        def read(self, n):
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        list(trawl.Lines().read(Broken()))
    with pytest.raises(FileNotFoundError):
        list(trawl.Lines().read("/nonexistent/trawl"))


@pytest.mark.skipif(np is None, reason="NumPy absent")
def test_arrays_equal_units():
    rng = random.Random(12)
    data, want = _tlv_stream(rng, 1, 2, True, False)
    data = data * 300  # more than one batch of 4096
    f = trawl.TLV(type_size=1, length_size=2, little_endian=True)
    a = f.arrays(data)
    us = f.parse(data)
    assert len(a) == len(us)
    assert a["offset"].tolist() == [u.offset for u in us]
    assert a["value_offset"].tolist() == [u.value_offset for u in us]
    assert a["value_length"].tolist() == [len(u.value) for u in us]
    assert a["type"].tolist() == [u.type for u in us]
    with pytest.raises(trawl.FrameError) as e:
        f.arrays(data + b"\x01\x05\x00")
    assert len(e.value.units) == len(us) and e.value.offset == len(data)
    arr, faults = f.arrays(data + b"\x01\x05\x00", resync=True)
    assert len(arr) == len(us) and faults[0].kind == "truncated-value"


def test_struct_against_python_struct():
    rng = random.Random(8)
    for _ in range(100):
        fmt = rng.choice("<>!=") + "".join(rng.choice("bBhHiIqQ") for _ in range(4)) + "3s"
        vals = []
        for c in fmt[1:-2]:
            size = struct.calcsize("<" + c)
            lo = -(1 << (8 * size - 1)) if c.islower() else 0
            hi = (1 << (8 * size - 1)) - 1 if c.islower() else (1 << (8 * size)) - 1
            vals.append(rng.randint(lo, hi))
        vals.append(bytes(rng.randrange(256) for _ in range(3)))
        buf = struct.pack(fmt, *vals)
        s = trawl.Struct(fmt)
        assert s.size == len(buf) and s.unpack(b"\x00" + buf, 1) == tuple(vals)
    with pytest.raises(trawl.TruncatedError) as e:
        trawl.Struct(">HI").unpack(b"\x00\x01\x02")
    assert e.value.offset == 3


def _tsv(name):
    rows = []
    with open(os.path.join(DATA, name)) as f:
        for line in f:
            if not line.startswith("#"):
                rows.append(line.rstrip("\n").split("\t"))
    return rows


@pytest.mark.parametrize("cap", ["modbus_test_data_part1", "bacnet_test"])
def test_pcap_against_tshark(cap):
    path = os.path.join(DATA, cap + ".pcap")
    pkts = list(trawl.pcap(path))
    frames = _tsv(cap + ".frames.tsv")
    assert [(p.index + 1, p.caplen, p.len) for p in pkts] == \
        [(int(a), int(b), int(c)) for a, b, c in frames]
    with open(os.path.join(DATA, cap + ".payloads.tsv")) as f:
        assert int(f.readline().split()[2]) == len(pkts)
    pay = _tsv(cap + ".payloads.tsv")
    got = [(p.index + 1, p.l4.payload.hex()) for p in pkts
           if p.l4 is not None and p.l4.payload]
    assert got == [(int(r[0]), r[3]) for r in pay]
    first = pkts[int(pay[0][0]) - 1]
    assert f"{first.ts_sec}.{first.ts_nsec:09d}" == pay[0][1]
    with open(path, "rb") as fh:
        assert len(list(trawl.pcap(fh))) == len(pkts)
    assert trawl.l4_decode(1, pkts[int(pay[0][0]) - 1].data).payload.hex() == pay[0][3]


def test_pcap_damaged(tmp_path):
    path = os.path.join(DATA, "bacnet_test.pcap")
    raw = open(path, "rb").read()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(raw[:-5])
    with pytest.raises(trawl.FrameError) as e:
        list(trawl.pcap(str(cut)))
    assert e.value.kind.startswith("truncated")
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a capture at all")
    with pytest.raises(trawl.FormatError):
        trawl.Capture(str(bad))


def _fields(u):
    # (an empty value's offset is where it would begin, on every path)
    return (type(u), u.index, u.offset, u.length, u.value_offset,
            u.value_length, u.type, u.depth, u.container, u.terminated, bytes(u.data),
            bytes(u.value))


def test_parse_across_batches_equals_the_reader():
    # parse() frames 1,024 units per C call and builds Units from the
    # unpacked batch; read() (a C reader, a Unit per call, copied data) is
    # the oracle: every field equal, across batch boundaries, for every
    # kind of framer, and a fault after more than a batch keeps the units
    # before it.
    rng = random.Random(17)
    tlv = bytearray()
    for _ in range(2500):
        if rng.random() < 0.2:  # a container (type 7) holding two records
            kids = bytes([1, 1, rng.randrange(256), 2, 0])
            tlv += bytes([7, len(kids)]) + kids
        else:
            v = bytes(rng.randrange(256) for _ in range(rng.randint(0, 5)))
            tlv += bytes([rng.randrange(1, 7), len(v)]) + v
    pk = b"".join(struct.pack(">H", n) + b"p" * n for n in
                  (rng.randint(0, 9) for _ in range(3000)))
    lines = b"".join(b"x" * rng.randint(0, 6) + b"\r\n" for _ in range(3000)) + b"tail"
    cases = [(trawl.TLV(containers=[7]), bytes(tlv)), (trawl.Records(3), bytes(range(255)) * 40),
             (trawl.Packets(">H"), pk), (trawl.Delimited(b"\r\n"), lines)]
    for f, data in cases:
        want = [_fields(u) for u in f.read(io.BytesIO(data))]
        assert len(want) > 2048
        assert [_fields(u) for u in f.parse(data)] == want, type(f).__name__
        assert [_fields(u) for u in f.units(bytearray(data))] == want, type(f).__name__
        if isinstance(f, trawl.Delimited):
            continue  # (a last message without a delimiter is a unit, not a fault)
        cut = data[:-1]
        with pytest.raises(trawl.FrameError) as e:
            f.parse(cut)
        n = len(e.value.units)
        assert n > 2048 and [_fields(u) for u in e.value.units] == want[:n]
        assert e.value.index == n


def test_compat_parse_tlv_across_batches():
    from trawl.compat.oscura import parse_tlv
    rng = random.Random(5)
    data = b"".join(bytes([rng.randrange(256), n]) + bytes(rng.randrange(256) for _ in range(n))
                    for n in (rng.randint(0, 4) for _ in range(3000)))
    want = [(u.type, u.value_length, bytes(u.value), u.offset)
            for u in trawl.TLV().read(io.BytesIO(data))]
    for buf in (data, bytearray(data), memoryview(data)):
        got = parse_tlv(buf)
        assert [(r.type_id, r.length, bytes(r.value), r.offset) for r in got] == want
        assert all(type(r.value) is bytes for r in got)
    zc = parse_tlv(data, zero_copy=True)
    assert all(type(r.value) is memoryview for r in zc)
    assert [bytes(r.value) for r in zc] == [w[2] for w in want]
    with pytest.raises(trawl.TruncatedFrameError) as e:
        parse_tlv(data + b"\x01\x05ab")
    assert [(r.type_id, r.offset) for r in e.value.units] == [(w[0], w[3]) for w in want]
    assert e.value.offset == len(data)

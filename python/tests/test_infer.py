"""trawl.infer from Python: CRC parameters against catalogue check values,
checksum recovery and location on messages built here with a known
algorithm (zlib's CRC-32 as an independent oracle), and inference on a
generated protocol (trawl_infer_generate) and on the Modbus capture."""

import os
import random
import struct
import zlib

import pytest

import trawl.infer as ti
from conftest import DATA


def test_crc_catalogue_check_values():
    assert ti.Crc(16, 0x1021, 0xFFFF).compute(b"123456789") == 0x29B1  # CCITT-FALSE
    assert ti.Crc(16, 0x8005, 0xFFFF, True, True).compute(b"123456789") == 0x4B37  # MODBUS
    crc32 = ti.Crc(32, 0x04C11DB7, 0xFFFFFFFF, True, True, 0xFFFFFFFF)
    rng = random.Random(1)
    for _ in range(20):
        b = rng.randbytes(rng.randint(0, 100))
        assert crc32.compute(b) == zlib.crc32(b)


def test_recover_and_locate():
    rng = random.Random(2)
    msgs = [rng.randbytes(rng.randint(4, 40)) for _ in range(12)]
    algo = ti.recover([(m, zlib.crc32(m)) for m in msgs], 32)
    assert algo is not None and algo.kind == "crc"
    assert algo.crc == ti.Crc(32, 0x04C11DB7, 0xFFFFFFFF, True, True, 0xFFFFFFFF)
    assert all(algo.compute(m) == zlib.crc32(m) for m in msgs)
    assert "poly=0x04c11db7" in algo.describe().lower()
    s = ti.recover([(m, sum(m) & 0xFF) for m in msgs], 8, kinds=["sum"])
    assert s is not None and s.kind == "sum"
    assert ti.recover([(m, rng.randrange(256)) for m in msgs], 8, kinds=["sum", "xor"]) is None
    framed = [b"\x7e" + m + struct.pack(">H", ti.Crc(16, 0x1021, 0xFFFF).compute(m))
              for m in msgs]
    got = ti.locate(framed)
    assert got is not None
    place, algo = got
    assert (place.offset, place.size, place.big_endian) == (-2, 2, True)
    # the constant first byte may be covered too: a CRC over it is the same
    # CRC with another init, which locate reports when it fits first
    assert algo.kind == "crc" and algo.crc.poly == 0x1021 and place.from_ in (0, 1)
    for f in framed:
        assert algo.compute(f[place.from_:-2]) == struct.unpack(">H", f[-2:])[0]
    with pytest.raises(ValueError):
        ti.recover([(b"a", 1), (b"b", 2)], 8, kinds=["md5"])


def test_infer_generated_protocol(tmp_path):
    pcap, truth = ti.generate(7, 300)
    p = tmp_path / "gen.pcap"
    p.write_bytes(pcap)
    r = ti.infer(str(p))
    assert r.n == 300 and r.frames[:3] == [1, 2, 3]
    assert r.types and all(t.fields for t in r.types)
    kinds = {f.kind for t in r.types for f in t.fields}
    assert kinds <= set(ti.FIELD_KINDS) and "const" in kinds
    assert all(0 <= r.type_of(i) < len(r.types) for i in range(r.n))
    b = r.bounds(0)
    assert b == sorted(b) and all(x > 0 for x in b)
    assert '"trawl.' in truth.splitlines()[0]


def test_infer_modbus_and_messages():
    r = ti.infer(os.path.join(DATA, "modbus_test_data_part1.pcap"))
    fields = [f for t in r.types for f in t.fields]
    assert any(f.kind == "length" for f in fields)  # Modbus/TCP's MBAP length
    msgs = [ti.Message(bytes([0x01, 0x00, i % 7, 0xAA]), 1000, 502, 1, 0, i) for i in range(50)]
    r2 = ti.infer(msgs, types=False, checksums=False)
    assert r2.n == 50 and len(r2.types) == 1 and r2.types[0].port == 502
    assert r2.types[0].fields[0].kind == "const"
    assert ti.infer([]).types == []

#!/usr/bin/python3
"""Generates JSON documents and what Python's json module makes of them.

Used by tests/test_common_json.c as the independent oracle for trawl's strict
reader (src/common/json.c). Prints one line per document:

    <hex of the document bytes> <TAB> <verdict>

where the verdict is "ERR" when the document must be refused, else a dump of
the value in a form the C test rebuilds: n t f, d<16 hex of the double's
little-endian bits>, s<hex of UTF-8 bytes>;, a<count>[...], o<count>{k<hex>;v...}.

Python accepts things a screening gateway must refuse; they become ERR here,
each on purpose (json.h lists them): duplicate names (object_pairs_hook),
NaN/Infinity (parse_constant), numbers that overflow to inf, strings with
lone surrogates (not encodable as UTF-8), nesting over 128 levels.

Usage: gen_oracle.py SEED COUNT
"""
import json
import math
import random
import struct
import sys


class Refuse(Exception):
    pass


def pairs(kv):
    seen = set()
    for k, _ in kv:
        if k in seen:
            raise Refuse("duplicate")
        seen.add(k)
    return dict(kv), kv


def const(name):
    raise Refuse(name)


def dump(v, depth=0):
    if depth > 129:
        raise Refuse("depth")
    if v is None:
        return "n"
    if v is True:
        return "t"
    if v is False:
        return "f"
    if isinstance(v, (int, float)):
        try:
            d = float(v)
        except OverflowError:
            raise Refuse("range")
        if math.isinf(d) or math.isnan(d):
            raise Refuse("range")
        return "d" + struct.pack("<d", d).hex()
    if isinstance(v, str):
        try:
            return "s" + v.encode("utf-8").hex() + ";"
        except UnicodeEncodeError:
            raise Refuse("surrogate")
    if isinstance(v, list):
        return "a%d[" % len(v) + "".join(dump(x, depth + 1) for x in v) + "]"
    if isinstance(v, tuple):  # (dict, pairs) from the hook
        kv = v[1]
        out = "o%d{" % len(kv)
        for k, x in kv:
            try:
                kk = k.encode("utf-8").hex()
            except UnicodeEncodeError:
                raise Refuse("surrogate")
            out += "k" + kk + ";" + dump(x, depth + 1)
        return out + "}"
    raise AssertionError(type(v))


def depth_of(v, d=1):
    if isinstance(v, list):
        return max([d] + [depth_of(x, d + 1) for x in v])
    if isinstance(v, tuple):
        return max([d] + [depth_of(x, d + 1) for _, x in v[1]])
    return d


def oracle(doc):
    try:
        text = doc.decode("utf-8")
        v = json.loads(text, object_pairs_hook=pairs, parse_constant=const, parse_int=float)
        if depth_of(v) > 129:
            return "ERR"
        return dump(v)
    except (Refuse, ValueError, UnicodeDecodeError, RecursionError):
        return "ERR"


STRS = ["", "a", "prompt", "h\u00e9llo", "\u20ac", "\U0001F600", "x\u0000y", "\u0000",
        "tab\t", "quote\"", "back\\slash", "/", "\u2028", "\ud7ff", "\ue000", "\uffff"]


def rstr(r):
    if r.random() < 0.5:
        return r.choice(STRS)
    return "".join(chr(r.choice([r.randint(0x20, 0x7e), r.randint(0, 0x1f),
                                 r.randint(0x80, 0x7ff), r.randint(0x800, 0xd7ff),
                                 r.randint(0x10000, 0x10ffff)]))
                   for _ in range(r.randint(0, 8)))


def enc_str(r, s):
    out = '"'
    for ch in s:
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out += "\\" + ch
        elif o < 0x20 or r.random() < 0.15:
            if o > 0xffff:
                o -= 0x10000
                out += "\\u%04x\\u%04X" % (0xd800 + (o >> 10), 0xdc00 + (o & 0x3ff))
            else:
                out += r.choice(["\\u%04x", "\\u%04X"]) % o
        elif ch == "/" and r.random() < 0.5:
            out += "\\/"
        else:
            out += ch
    return out + '"'


def ws(r):
    return r.choice(["", "", "", " ", "\n", "\t ", "\r\n  "])


NUMS = ["0", "-0", "1", "-1", "12345678901234567890", "1.5", "-0.0", "1e10", "1E-5", "2.5e+3",
        "0.1", "123.456e-7", "1e308", "4.9e-324", "9007199254740993"]


def gen(r, depth=0):
    k = r.randint(0, 7 if depth < 6 else 4)
    if k == 0:
        return r.choice(["null", "true", "false"])
    if k in (1, 2):
        return r.choice(NUMS) if r.random() < 0.5 else str(r.randint(-10**6, 10**6))
    if k in (3, 4):
        return enc_str(r, rstr(r))
    if k == 5:
        items = [gen(r, depth + 1) for _ in range(r.randint(0, 4))]
        return "[" + ws(r) + ("," + ws(r)).join(items) + ws(r) + "]"
    n = r.randint(0, 4)
    keys = [rstr(r) for _ in range(n)]
    if n and r.random() < 0.2:
        keys.append(keys[0])  # a duplicate, maybe spelt otherwise
    mem = [ws(r) + enc_str(r, k) + ws(r) + ":" + ws(r) + gen(r, depth + 1) for k in keys]
    return "{" + ",".join(mem) + ws(r) + "}"


BAD = ["NaN", "Infinity", "-Infinity", "1e400", "-1e999", "01", "1.", ".5", "+1", "0x10",
       '"\\ud800"', '"\\udc00x"', '"\\ud800\\u0041"', '"\\x41"', '"\\u12"', '"abc', "[1,]",
       '{"a":1,}', "{'a':1}", "tru", "nul", "[1 2]", '{"a" 1}', "", "   ", "\ufeff{}",
       '{"a":1}{"b":2}', '{"a":1} x', "[] []", '"\x01"', "[" * 140 + "]" * 140]


def mutate(r, doc):
    b = bytearray(doc)
    for _ in range(r.randint(1, 3)):
        op = r.randint(0, 4)
        i = r.randint(0, len(b)) if b else 0
        if op == 0 and b:
            del b[min(i, len(b) - 1)]
        elif op == 1:
            b[i:i] = bytes([r.choice(b'{}[],:"\\0 1eE-+.tfnu\x00\x80\xc3\xed\xf4\xff')])
        elif op == 2 and b:
            b[min(i, len(b) - 1)] = r.randint(0, 255)
        elif op == 3:
            b += r.choice([b" ", b"x", b"{}", b"\x00", b"0"])
        else:
            b = b[: r.randint(0, len(b))]
    return bytes(b)


def main():
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    r = random.Random(seed)
    docs = [b.encode("utf-8", "surrogatepass") for b in BAD]
    while len(docs) < count:
        d = (ws(r) + gen(r) + ws(r)).encode("utf-8")
        docs.append(mutate(r, d) if r.random() < 0.35 else d)
    out = sys.stdout
    for d in docs:
        out.write(d.hex() + "\t" + oracle(d) + "\n")


main()

"""trawl.firmware from Python, against `trawl firmware --json` (the same
library read by the C command line: every record it prints must equal what
the binding returns) on an STM32F4 and an nRF52 program built here with
Debian's arm-none-eabi-gcc (skipped with a message when it is missing),
on a mixed image with overlapping windows, and on custom SDK rules; then
the errors, with their offsets and lines."""

import json
import mmap
import os
import random
import shutil
import subprocess

import pytest

import trawl
import trawl.firmware as tf
from conftest import DATA, ROOT, cli_path

FW = os.path.join(DATA, "firmware")


def _build(tmp, ld, src):
    cc = shutil.which("arm-none-eabi-gcc")
    if cc is None or shutil.which("arm-none-eabi-objcopy") is None:
        pytest.skip("arm-none-eabi-gcc not installed (scripts/deps.sh installs it): "
                    "the Cortex-M images cannot be built")
    elf, out = tmp / (src + ".elf"), tmp / (src + ".bin")
    subprocess.run([cc, "-mcpu=cortex-m4", "-mthumb", "-Os", "-ffreestanding", "-nostartfiles",
                    "-nostdlib", "-T", os.path.join(FW, ld + ".ld"), os.path.join(FW, src + ".c"),
                    os.path.join(FW, "uart_printf.c"), "-lgcc", "-o", str(elf)], check=True)
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", str(elf), str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fw")
    return {"stm32": _build(tmp, "stm32f4", "stm32f4_uart"),
            "nrf52": _build(tmp, "nrf52", "nrf52_uarte")}


def _cli(*args):
    exe = cli_path()
    if exe is None:
        pytest.skip("the trawl command is not built")
    p = subprocess.run([exe, "firmware", *args], capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stderr
    return [json.loads(line) for line in p.stdout.splitlines()]


def _records(recs, kind):
    return [r for r in recs if r["type"] == kind]


def _windows_equal(cli_windows, ws):
    assert len(cli_windows) == len(ws)
    for c, w in zip(cli_windows, ws):
        assert (c["offset"], c["length"], c["kind"], c["runner_up"]) == \
            (w.offset, w.length, w.kind, w.runner_up)
        assert c["arch"] == (w.arch or "unknown")
        for k in ("bits", "runner_bits", "entropy"):
            assert c[k] == pytest.approx(getattr(w, k), abs=6e-4)


def _arch_equal(recs, a):
    (c,) = _records(recs, "arch")
    assert c["arch"] == (a.arch or "unknown")
    if a.arch:
        assert (c["description"], c["endian"], c["word_bits"]) == \
            (a.info.description, a.info.endian, a.info.word_bits)
    assert (c["windows"], c["code_windows"], c["votes"]) == (a.windows, a.code_windows, a.votes)
    assert c["share"] == pytest.approx(a.share, abs=6e-5)
    assert sum(a.kinds.values()) == a.windows and a.kinds["code"] == a.code_windows
    regions = [(g["offset"], g["length"], g["arch"], g["kind"], g["windows"])
               for g in _records(recs, "region")]
    assert regions == [(g.offset, g.length, g.arch or "unknown", g.kind, g.windows)
                       for g in a.regions]


def _cortexm_equal(recs, r):
    (c,) = _records(recs, "cortexm")
    assert c["vector_table"] == (r.vectors is not None)
    if r.vectors:
        v = r.vectors
        assert (c["table_offset"], c["initial_sp"], c["reset"], c["entries"], c["handlers"],
                c["distinct_handlers"]) == (v.offset, v.initial_sp, v.reset, v.entries,
                                            v.handlers, v.distinct)
    assert (c["base"], c["base_how"], c["base_votes"], c["family"], c["family_ambiguous"],
            c["instructions"]) == (r.base, r.base_how, r.base_votes, r.family,
                                   r.family_ambiguous, r.instructions)
    assert c.get("family_source") == r.family_source
    assert {k: tuple(v) for k, v in c["scores"].items()} == r.scores
    assert [(p["name"], p["family"], p["base"], p["reads"], p["writes"], p["refs"],
             p["registers"], p["first"]) for p in _records(recs, "peripheral")] == \
        [tuple(p) for p in r.peripherals]
    assert [(a["address"], a["access"].replace("-", ""), a["count"], a["first"], a["peripheral"],
             a["bitband_bit"] if a["bitband_bit"] >= 0 else None)
            for a in _records(recs, "access")] == [tuple(a) for a in r.accesses]


def _sdk_equal(recs, s, image):
    (c,) = _records(recs, "sdk")
    assert [(x["name"], x["weight"], x["rules"]) for x in c["sdks"]] == [tuple(x) for x in s.sdks]
    ev = _records(recs, "evidence")
    assert [(e["sdk"], e["rule"], e["weight"], e["offset"], e["length"], e["matches"])
            for e in ev] == [tuple(e)[:6] for e in s.evidence]
    for e, x in zip(ev, s.evidence):
        assert bytes(x.data) == image[x.offset:x.offset + x.length]
        assert e["data"] == bytes(x.data[:64]).hex()


@pytest.mark.parametrize("name,family,base", [("stm32", "stm32f4", 0x08000000),
                                              ("nrf52", "nrf52", 0)])
def test_equals_the_command_line(images, name, family, base):
    path = images[name]
    img = path.read_bytes()
    recs = _cli("--json", "--windows", "--accesses", str(path))
    fw = tf.analyze(img)
    _arch_equal(recs, fw.arch)
    _windows_equal(_records(recs, "window"), tf.windows(img))
    assert fw.cortexm is not None
    _cortexm_equal(recs, fw.cortexm)
    _sdk_equal(recs, fw.sdk, img)
    # what docs/firmware.md and tests/cli/firmware.sh say of these programs
    r = fw.cortexm
    assert fw.arch.arch == "arm-thumb" and r.family == family and r.base == base
    assert r.vectors is not None and r.vectors.offset == 0
    if name == "stm32":
        p = {x.name: x for x in r.peripherals}
        assert set(p) == {"USART2", "GPIOA", "RCC", "SysTick"}
        assert (p["USART2"].base, p["USART2"].reads, p["USART2"].writes) == (0x40004400, 1, 3)
        assert p["SysTick"].family == "cortex-m"
        a = {x.address: x for x in r.accesses}
        assert a[0x40004408].access == "W" and a[0x40004408].peripheral == "USART2"
        assert a[0x40023830].read and a[0x40023830].write and a[0x40023830].count == 2
    # a given base and family override the estimates, as --base / --family
    forced = tf.cortexm(img, base=0, family="stm32f1")
    _cortexm_equal(_cli("cortexm", "--json", "--accesses", "--family", "stm32f1", "--base", "0",
                        str(path)), forced)
    assert (forced.base, forced.base_how, forced.family) == (0, "given", "stm32f1")


def test_mixed_image_overlapping_windows(images, tmp_path):
    rng = random.Random(5)
    words = [b"config", b"value", b"network", b"interface", b"timeout", b"device"]
    text = b" ".join(rng.choice(words) for _ in range(1400))[:8192]
    thumb = images["stm32"].read_bytes()
    img = text + thumb * 4 + bytes(4096) + rng.randbytes(4096)
    path = tmp_path / "mixed.bin"
    path.write_bytes(img)
    recs = _cli("arch", "--json", "--windows", "-w", "1024", "-s", "512", str(path))
    ws = tf.windows(img, window=1024, step=512)
    _windows_equal(_records(recs, "window"), ws)
    a = tf.identify(img, window=1024, step=512)
    _arch_equal(recs, a)
    kinds = [w.kind for w in ws]
    assert kinds[0] == "text" and "fill" in kinds and "random" in kinds and "code" in kinds
    arr = tf.ArchModel.builtin().window_array(img, window=1024, step=512)
    assert arr["offset"].tolist() == [w.offset for w in ws]
    model = tf.ArchModel.builtin()
    assert [model.archs[i].name if i >= 0 else None for i in arr["arch"]] == \
        [w.arch for w in ws]
    assert [tf.KINDS[k] for k in arr["kind"]] == kinds
    # zero-copy inputs of every kind give the same answer
    import numpy as np
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for src in (bytearray(img), memoryview(img), np.frombuffer(img, np.uint8), mm):
            assert tf.identify(src, window=1024, step=512) == a
    # the model file in the repository is the built-in one
    with open(os.path.join(ROOT, "models", "firmware_arch.tmodel"), "rb") as f:
        loaded = tf.ArchModel(f.read())
    assert loaded.archs == model.archs and len(model.archs) == 10
    assert loaded.windows(img, window=1024, step=512) == ws
    assert model.find("mipsel") == [x.name for x in model.archs].index("mipsel")
    assert model.find("z80") == -1


def test_unknown_is_unknown():
    rng = random.Random(7)
    for junk in (rng.randbytes(16384), b"The quick brown fox jumps. " * 600, bytes(8192)):
        fw = tf.analyze(junk)
        assert fw.arch.arch is None and fw.arch.code_windows == 0
        assert fw.cortexm is None and fw.sdk.sdks == []


RULES = """# a rule file in the built-in format
zephyr.boot_banner.2/lit: Booting Zephyr OS build
zephyr.sysworkq_thread.1: sysworkq\\x00
toy.magic.1: \\xDE\\xAD\\xBE\\xEF
"""


def test_sdk_rules_against_the_command_line(tmp_path):
    img = (b"\x00" * 100 + b"*** Booting Zephyr OS build v3.5 ***\x00" + b"\x11" * 50 +
           b"sysworkq\x00" + b"\xde\xad\xbe\xef" * 3)
    path, rules = tmp_path / "z.bin", tmp_path / "z.rules"
    path.write_bytes(img)
    rules.write_text(RULES)
    sc = tf.SdkScanner(RULES)
    assert sc.rules == [tf.SdkRule("zephyr", "boot_banner", 2),
                        tf.SdkRule("zephyr", "sysworkq_thread", 1), tf.SdkRule("toy", "magic", 1)]
    s = sc.scan(img)
    _sdk_equal(_cli("sdk", "--json", "--rules", str(rules), str(path)), s, img)
    assert [x.name for x in s.sdks] == ["zephyr"] and s.sdks[0].weight == 3
    toy = [e for e in s.evidence if e.sdk == "toy"][0]
    assert (toy.offset, toy.matches) == (img.index(b"\xde\xad"), 3)  # evidence, not an answer
    assert tf.sdk(img, rules=sc) == s
    # the built-in pack: every rule named SDK.EVIDENCE.WEIGHT, nothing on zeros
    b = tf.SdkScanner.builtin()
    assert {r.sdk for r in b.rules} >= {"arduino", "freertos", "stm32_hal", "nrf5_sdk"}
    assert tf.sdk(bytes(4096)) == tf.SdkReport([], [])


def test_errors():
    with pytest.raises(trawl.FormatError) as e:
        tf.ArchModel(b"not a model file at all, not at all")
    assert e.value.offset == 0
    with open(os.path.join(ROOT, "models", "firmware_arch.tmodel"), "rb") as f:
        good = f.read()
    with pytest.raises(trawl.TrawlError) as e:
        tf.ArchModel(good[:4096])
    assert e.value.offset is not None and 0 < e.value.offset <= 4096
    with pytest.raises(trawl.InvalidArgumentError):
        tf.windows(bytes(4096), window=100)
    with pytest.raises(trawl.InvalidArgumentError):
        tf.windows(bytes(4096), window=1024, step=1000)
    with pytest.raises(trawl.InvalidArgumentError, match="z80"):
        tf.cortexm(bytes(1024), family="z80")
    with pytest.raises(trawl.FormatError) as e:
        tf.SdkScanner("toy.one.1: A\nnoweight.x: B\n")
    assert e.value.index == 1
    with pytest.raises(trawl.PatternSyntaxError) as e:
        tf.SdkScanner("toy.one.1: A\ntoy.two.1: [\\x00\n")
    assert e.value.line == 2 and e.value.column is not None
    with pytest.raises(TypeError):
        tf.identify("a str is not bytes")
    fams = dict(tf.families())
    assert {"stm32f4", "nrf52", "rp2040"} <= set(fams) and "cmsis_device_f4" in fams["stm32f4"]

#!/usr/bin/python3
# periph_table.py -- writes src/firmware/periph_tables.c, the peripheral
# address maps of the Cortex-M families trawl names, from the vendors' own
# device headers (read, never copied: only names and addresses come out).
#
#   periph_table.py ST_F0 ST_F1 ST_F4 ST_L4 NRFX PICO_SDK | clang-format --assume-filename=x.c \
#       > src/firmware/periph_tables.c
#
# Each argument is a git directory (a bare clone or its .git) of:
#   STMicroelectronics/cmsis_device_{f0,f1,f4,l4}  Include/stm32f072xb.h,
#       stm32f103xb.h, stm32f407xx.h, stm32l476xx.h: every instance macro
#       `#define NAME ((TYPE *) NAME_BASE)` with its _BASE expression evaluated;
#   NordicSemiconductor/nrfx                       bsp/stable/mdk/nrf52840.h: NRF_*_BASE;
#   raspberrypi/pico-sdk                           src/rp2040/hardware_regs/include/
#       hardware/regs/addressmap.h: *_BASE.
# The SAM D21 map is not generated: it is written out below from Atmel's
# ASF CMSIS header samd21g15b.h (2016; the base addresses are the same for
# every SAMD21 part, the larger ones add SERCOM4/5), and the Cortex-M core
# blocks from the ARMv7-M Architecture Reference Manual's System Control
# Space (the addresses of CMSIS core_cm4.h).
#
# A block's extent is the distance to the next block, capped at the family's
# usual block size (STM32 0x400, nRF52 0x1000, RP2040 0x4000, SAM D21 0x400);
# the few larger blocks are listed in BIG. Sub-blocks (DMA1_Stream0 inside
# DMA1) are dropped; instances at one address share one entry.
import re
import subprocess
import sys


def show(gitdir, path):
    return subprocess.run(['git', '--git-dir', gitdir, 'show', 'HEAD:' + path],
                          capture_output=True, check=True, text=True).stdout


def version(gitdir):
    r = subprocess.run(['git', '--git-dir', gitdir, 'describe', '--tags', '--always'],
                       capture_output=True, text=True)
    return r.stdout.strip()


def evaluate(expr, env):
    expr = re.sub(r'/\*.*?\*/', '', expr)
    expr = re.sub(r'(0x[0-9A-Fa-f]+|\d+)U?L?', r'\1', expr)
    expr = expr.replace('_u(', '(')
    def sub(m):
        if m.group(0) not in env:
            raise KeyError(m.group(0))
        return str(env[m.group(0)])
    expr = re.sub(r'(?<![0-9A-Za-z_])[A-Za-z_][A-Za-z0-9_]*', sub, expr)
    return int(eval(expr, {'__builtins__': {}}))


def defines(text):
    env = {}
    for m in re.finditer(r'^#define\s+([A-Za-z0-9_]+)\s+(.+?)\s*$', text, re.M):
        name, expr = m.group(1), re.sub(r'/\*.*', '', m.group(2)).strip()
        try:
            env[name] = evaluate(expr, env)
        except (KeyError, SyntaxError, TypeError, NameError, ZeroDivisionError):
            pass
    return env


BIG = {'ETH': 0x1400, 'USB_OTG_FS': 0x40000, 'USB_OTG_HS': 0x40000, 'DMA2D': 0xC00,
       'USB_DPRAM_OR_PMA': 0x400}


def blocks(insts, cap):
    """insts: [(addr, name)] -> [(lo, hi, base, names)] with sub-blocks dropped."""
    names = {n for _, n in insts}
    at = {}
    for a, n in sorted(insts):
        head = n.split('_')[0]
        if '_' in n and head in names and head != n:
            continue  # DMA1_Stream0 inside DMA1
        at.setdefault(a, []).append(n)
    addrs = sorted(at)
    out = []
    for i, a in enumerate(addrs):
        nxt = addrs[i + 1] if i + 1 < len(addrs) else a + cap
        size = min(nxt - a, max([BIG.get(n, cap) for n in at[a]]))
        out.append((a, a + size, a, '/'.join(at[a])))
    return out


def stm32(gitdir, header, fam):
    text = show(gitdir, 'Include/' + header)
    env = defines(text)
    insts = []
    for m in re.finditer(r'^#define\s+([A-Za-z0-9_]+)\s+\(\(\s*[A-Za-z0-9_]*TypeDef\s*\*\s*\)\s*'
                         r'\(?\s*([A-Za-z0-9_]+)\s*\)?\s*\)', text, re.M):
        name, base = m.group(1), m.group(2)
        if base in env and 0x40000000 <= env[base] < 0x60000000 or \
                base in env and 0xA0000000 <= env[base] < 0xA0001000:
            insts.append((env[base], name))
    return fam, 'STMicroelectronics cmsis_device_%s %s, Include/%s' % (
        fam[5:], version(gitdir), header), blocks(insts, 0x400)


def nrf52(gitdir):
    path = 'bsp/stable/mdk/nrf52840.h'
    text = show(gitdir, path)
    insts = []
    for m in re.finditer(r'^#define\s+NRF_([A-Z0-9_]+)_BASE\s+(0x[0-9A-Fa-f]+)UL', text, re.M):
        name, a = m.group(1), int(m.group(2), 16)
        if name.startswith('CC_'):
            name = 'CC_' + 'REGS'
        if name in ('P0', 'P1'):
            continue
        if (a, name) not in insts:
            insts.append((a, name))
    out = blocks(insts, 0x1000)
    # GPIO ports: the registers sit at +0x504..+0x7ff of each port's base,
    # and P1's base (0x50000300) lies inside P0's register span
    out += [(0x50000500, 0x50000800, 0x50000000, 'P0'), (0x50000800, 0x50000B00, 0x50000300, 'P1')]
    return 'nrf52', 'NordicSemiconductor nrfx %s, %s (nRF52840; the nRF52832 map is a subset)' % (
        version(gitdir), path), sorted(out)


def rp2040(gitdir):
    path = 'src/rp2040/hardware_regs/include/hardware/regs/addressmap.h'
    text = show(gitdir, path)
    insts = []
    for m in re.finditer(r'^#define\s+([A-Z0-9_]+)_BASE\s+_u\((0x[0-9a-fA-F]+)\)', text, re.M):
        name, a = m.group(1), int(m.group(2), 16)
        if a >= 0x40000000 or name in ('XIP_CTRL', 'XIP_SSI'):
            if name == 'USBCTRL':
                continue  # the same address as USBCTRL_DPRAM
            insts.append((a, name))
    out = []
    for lo, hi, base, n in blocks(insts, 0x4000):
        out.append((lo, hi, base, n))
    return 'rp2040', 'raspberrypi pico-sdk %s, %s (each APB block has atomic XOR/SET/CLR ' \
        'aliases at +0x1000/+0x2000/+0x3000)' % (version(gitdir), path), out


SAMD21 = [(0x40000000, 'PAC0'), (0x40000400, 'PM'), (0x40000800, 'SYSCTRL'), (0x40000C00, 'GCLK'),
          (0x40001000, 'WDT'), (0x40001400, 'RTC'), (0x40001800, 'EIC'), (0x41000000, 'PAC1'),
          (0x41002000, 'DSU'), (0x41004000, 'NVMCTRL'), (0x41004400, 'PORT'), (0x41004800, 'DMAC'),
          (0x41005000, 'USB'), (0x41006000, 'MTB'), (0x41007000, 'SBMATRIX'), (0x42000000, 'PAC2'),
          (0x42000400, 'EVSYS'), (0x42000800, 'SERCOM0'), (0x42000C00, 'SERCOM1'),
          (0x42001000, 'SERCOM2'), (0x42001400, 'SERCOM3'), (0x42001800, 'SERCOM4'),
          (0x42001C00, 'SERCOM5'), (0x42002000, 'TCC0'), (0x42002400, 'TCC1'), (0x42002800, 'TCC2'),
          (0x42002C00, 'TC3'), (0x42003000, 'TC4'), (0x42003400, 'TC5'), (0x42004000, 'ADC'),
          (0x42004400, 'AC'), (0x42004800, 'DAC'), (0x42004C00, 'PTC'), (0x42005000, 'I2S'),
          (0x60000000, 'PORT_IOBUS')]

CORE = [(0xE0000000, 0xE0001000, 'ITM'), (0xE0001000, 0xE0002000, 'DWT'),
        (0xE0002000, 0xE0003000, 'FPB'), (0xE000E000, 0xE000E010, 'SCnSCB'),
        (0xE000E010, 0xE000E020, 'SysTick'), (0xE000E100, 0xE000ED00, 'NVIC'),
        (0xE000ED00, 0xE000ED90, 'SCB'), (0xE000ED90, 0xE000EDF0, 'MPU'),
        (0xE000EDF0, 0xE000EE00, 'CoreDebug'), (0xE000EF00, 0xE000EF04, 'NVIC_STIR'),
        (0xE000EF30, 0xE000EF48, 'FPU'), (0xE0040000, 0xE0041000, 'TPI'),
        (0xE0042000, 0xE0042400, 'DBGMCU')]


def emit(fams):
    print('/* periph_tables.c -- peripheral address maps of the Cortex-M families the')
    print(' * firmware analyser names. GENERATED by tools/fwarch/periph_table.py from the')
    print(' * vendors\' device headers named below; do not edit. */')
    print('#include "firmware/periph.h"\n')
    print('#include <stddef.h>\n')
    for key, source, rows in fams:
        print('/* %s */' % source)
        print('static const fw_periph %s[] = {' % key.replace('-', '_'))
        for lo, hi, base, name in sorted(rows):
            print('    {0x%08XU, 0x%08XU, 0x%08XU, "%s"},' % (lo, hi, base, name))
        print('};\n')
    print('const fw_family trawl__fw_families[] = {')
    for key, source, rows in fams:
        print('    {"%s", "%s", %s, %d},' % (key, source.replace('"', "'"), key.replace('-', '_'),
                                            len(rows)))
    print('    {NULL, NULL, NULL, 0},')
    print('};')


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__ if __doc__ else 'usage: periph_table.py ST_F0 ST_F1 ST_F4 ST_L4 NRFX PICO')
    f0, f1, f4, l4, nrfx, pico = sys.argv[1:]
    fams = [('cortex-m', 'ARMv6-M/ARMv7-M System Control Space and debug blocks (ARM Architecture '
             'Reference Manual; CMSIS core_cm4.h addresses); DBGMCU is ST\'s',
             [(lo, hi, lo, n) for lo, hi, n in CORE])]
    fams.append(stm32(f0, 'stm32f072xb.h', 'stm32f0'))
    fams.append(stm32(f1, 'stm32f103xb.h', 'stm32f1'))
    fams.append(stm32(f4, 'stm32f407xx.h', 'stm32f4'))
    fams.append(stm32(l4, 'stm32l476xx.h', 'stm32l4'))
    fams.append(nrf52(nrfx))
    fams.append(rp2040(pico))
    fams.append(('samd21', 'Atmel ASF CMSIS header samd21g15b.h (2016), base address definitions',
                 blocks(SAMD21, 0x400)))
    emit(fams)


main()

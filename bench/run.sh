#!/bin/sh
# run.sh -- run every benchmark program built under build/bench, in order.
# Environment: BENCH_RUNS (repetitions, default 5), BENCH_MIB (corpus MiB).
set -eu
found=0
# a 1 MiB ARM Thumb image for bench_firmware's peripheral scan: newlib's
# Cortex-M4 libc and libm linked whole, their code repeated to 1 MiB
if command -v arm-none-eabi-gcc >/dev/null 2>&1 && [ -d build/bench ]; then
    NL=/usr/lib/arm-none-eabi/lib/thumb/v7e-m/nofp
    if [ ! -s build/bench/fw_thumb.bin ] &&
        arm-none-eabi-gcc -mthumb -nostdlib -nostartfiles -static -Wl,--whole-archive \
            $NL/libc.a $NL/libm.a -Wl,--no-whole-archive -Wl,--unresolved-symbols=ignore-all \
            -Wl,--allow-multiple-definition -Wl,-e,0 -o build/bench/fw_thumb.elf 2>/dev/null &&
        arm-none-eabi-objcopy -O binary --only-section=.text build/bench/fw_thumb.elf build/bench/fw_text.bin; then
        for i in 1 2 3 4; do cat build/bench/fw_text.bin; done | head -c 1048576 >build/bench/fw_thumb.bin
    fi
    [ -s build/bench/fw_thumb.bin ] && export BENCH_FW_IMAGE=build/bench/fw_thumb.bin
fi
for b in build/bench/bench_*; do
    [ -x "$b" ] || continue
    found=1
    echo "### $(basename "$b")"
    "$b"
    echo
done
[ "$found" = 1 ] || { echo "no benchmarks built" >&2; exit 1; }
echo "### shell.sh (whole processes)"
sh bench/shell.sh
echo
echo "### python/bench_python.py (the binding against pure Python; issue 17)"
sh bench/python/run.sh

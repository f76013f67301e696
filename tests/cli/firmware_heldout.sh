#!/bin/sh
# firmware_heldout.sh -- the architecture floor on held-out code, in
# `make check`: the small programs of tools/fwarch/programs (never trained
# on: corpus.sh puts every prog:* unit in the held-out split) compiled here
# for each of the ten architectures at -O2 and -Os, their code sections
# concatenated, classified per 4 KiB window. Pinned: >= 95 % of each
# architecture's windows right (Unknown counts as wrong). The full held-out
# split (1,822 windows) is `make fwmodel`'s report (docs/firmware.md).
T=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
S=tools/fwarch/shim
fails=0
for t in x86_64:gcc: aarch64:aarch64-linux-gnu-gcc: arm32:arm-none-eabi-gcc:-marm \
    arm-thumb:arm-none-eabi-gcc:-mthumb_-mcpu=cortex-m4 avr:avr-gcc:-mmcu=atmega328p \
    riscv64:riscv64-unknown-elf-gcc:-mcmodel=medany mips:mips-linux-gnu-gcc:-fno-pic \
    mipsel:mipsel-linux-gnu-gcc:-fno-pic powerpc:powerpc-linux-gnu-gcc: \
    xtensa:xtensa-lx106-elf-gcc:-mlongcalls; do
    arch=${t%%:*} rest=${t#*:} cc=${rest%%:*} flags=$(echo "${rest#*:}" | tr '_' ' ')
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "SKIP $arch: $cc not installed (scripts/deps.sh installs it)"
        continue
    fi
    objcopy=${cc%gcc}objcopy
    gi=$($cc $flags -print-file-name=include)
    : >"$dir/$arch.bin"
    for opt in -O2 -Os; do
        for p in tools/fwarch/programs/*.c; do
            # shellcheck disable=SC2086
            $cc $flags -std=c11 $opt -nostdinc -isystem $S -isystem "$gi" -w -c "$p" -o "$dir/p.o" &&
                $objcopy -O binary --only-section=.text "$dir/p.o" "$dir/p.bin" &&
                cat "$dir/p.bin" >>"$dir/$arch.bin"
        done
    done
    got=$("$T" firmware arch --json "$dir/$arch.bin" | grep '"type":"arch"' |
        sed 's/.*"votes":{\(.*\)}}/\1/')
    win=$("$T" firmware arch --json "$dir/$arch.bin" | sed -n 's/.*"windows":\([0-9]*\),.*/\1/p' | head -1)
    right=$(echo "$got" | tr ',' '\n' | sed -n "s/^\"$arch\":\([0-9]*\)$/\1/p")
    right=${right:-0}
    pct=$((100 * right / win))
    echo "$arch: $right of $win windows ($pct %)"
    if [ "$pct" -lt 95 ]; then
        echo "FAIL $arch below the 95 % floor"
        fails=$((fails + 1))
    fi
done
[ $fails -eq 0 ] || exit 1
echo "firmware_heldout: ok"

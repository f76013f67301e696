#!/bin/sh
# corpus.sh -- builds the training and held-out corpus of the firmware
# architecture classifier from code compiled on this machine with Debian's
# cross compilers (scripts/deps.sh installs them).
#
#   tools/fwarch/corpus.sh OUTDIR
#
# Writes OUTDIR/ARCH/SPLIT/UNIT.bin (the .text bytes of one library or of one
# group of compiled sources) and OUTDIR/manifest.tsv (arch, split, unit,
# bytes, origin). Two kinds of units:
#   - the toolchains' own target libraries (glibc of the Linux cross
#     toolchains, newlib / picolibc / avr-libc, libgcc); static archives are
#     linked whole first, so that calls carry real relocated offsets as in
#     firmware, not the zeros of unrelocated objects;
#   - trawl's own dependency-free C sources (those that compile against the
#     declaration-only headers in tools/fwarch/shim), at -O2, -Os and -O1, and the
#     small programs in tools/fwarch/programs, compiled for every target.
# The split is by unit, never by window: a library or a source module is
# either trained on or held out, for every architecture alike (see SPLIT
# below). trawl's sources are read from the pinned commit SRC_COMMIT, so a
# retrain gives the same corpus whatever the work tree holds.
set -eu
export LC_ALL=C

OUT=${1:?usage: corpus.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SRC_COMMIT=${SRC_COMMIT:-062d3dd}
SHIM=$HERE/shim
PROGS=$HERE/programs

rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMP=$OUT/.tmp
mkdir -p "$TMP"
MANIFEST=$OUT/manifest.tsv
: >"$MANIFEST"

# trawl's sources at the pinned commit (falls back to the work tree, and
# says so, when the clone has no such commit).
SRCDIR=$TMP/trawl-src
mkdir -p "$SRCDIR"
if git -C "$ROOT" cat-file -e "$SRC_COMMIT^{commit}" 2>/dev/null; then
    git -C "$ROOT" archive "$SRC_COMMIT" src include | tar -x -C "$SRCDIR"
else
    echo "corpus.sh: commit $SRC_COMMIT not in this clone; using the work tree's src/" >&2
    cp -r "$ROOT/src" "$ROOT/include" "$SRCDIR/"
fi

# Which units are held out. Libraries: the maths, OpenMP, atomics, loader and
# resolver libraries, libgcc and its profiler, UBSan's runtime, the Arduino
# core; trawl modules: frame, fuzzy, common, pattern, synthetic_media;
# and every small program. Everything else trains.
split_of() {
    case "$1" in
    lib:libm* | lib:libgomp* | lib:libatomic* | lib:ld* | lib:libresolv* | lib:libgcov* | \
        lib:libgcc.a | lib:libubsan* | lib:arduino-core | src:frame* | src:fuzzy* | src:common* | \
        src:pattern* | src:detect_synthetic_media* | prog:*)
        echo test ;;
    *) echo train ;;
    esac
}

# add ARCH UNIT FILE ORIGIN: files the .text bytes of FILE under the unit.
add() {
    arch=$1 unit=$2 bin=$3 origin=$4
    [ -s "$bin" ] || return 0
    split=$(split_of "$unit")
    dst=$OUT/$arch/$split
    mkdir -p "$dst"
    name=$(echo "$unit" | tr ':/' '__')
    cat "$bin" >>"$dst/$name.bin"
    printf '%s\t%s\t%s\t%s\t%s\n' "$arch" "$split" "$unit" "$(wc -c <"$bin")" "$origin" >>"$MANIFEST"
}

# text OBJCOPY ELF OUT: the executable bytes of a linked ELF (.text and the
# other code sections the toolchain emits).
text() {
    $1 -O binary --only-section=.text "$2" "$3" 2>/dev/null || rm -f "$3"
}

# link_whole CC FLAGS ARCHIVE OUT: links every member of a static archive
# into one image (undefined symbols resolved to 0, duplicates allowed).
link_whole() {
    cc=$1 flags=$2 ar=$3 out=$4
    # shellcheck disable=SC2086
    $cc $flags -nostdlib -nostartfiles -static -Wl,--whole-archive "$ar" -Wl,--no-whole-archive \
        -Wl,--unresolved-symbols=ignore-all -Wl,--allow-multiple-definition -Wl,--no-check-sections \
        -Wl,-e,0 -o "$out" 2>/dev/null
}

# compile_units ARCH CC OBJCOPY FLAGS: trawl's modules and the programs.
compile_units() {
    arch=$1 cc=$2 objcopy=$3 flags=$4
    gi=$($cc $flags -print-file-name=include)
    for opt in -O2 -Os -O1; do
        for mod in $(cd "$SRCDIR/src" && find . -name '*.c' | sed 's|^\./||; s|/[^/]*$||' | sort -u); do
            case $mod in serve | cli) continue ;; esac
            objs=""
            for f in "$SRCDIR/src/$mod"/*.c; do
                o=$TMP/$(echo "$arch$opt$f" | tr '/.' '__').o
                # shellcheck disable=SC2086
                if $cc $flags -std=c11 $opt -c -nostdinc -isystem "$SHIM" -isystem "$gi" \
                    -I"$SRCDIR/include" -I"$SRCDIR/src" -I"$(dirname "$f")" -DTRAWL_BUILDING -w \
                    "$f" -o "$o" 2>/dev/null; then
                    objs="$objs $o"
                fi
            done
            [ -n "$objs" ] || continue
            # shellcheck disable=SC2086
            $cc $flags -nostdlib -nostartfiles -static $objs -Wl,--unresolved-symbols=ignore-all \
                -Wl,--allow-multiple-definition -Wl,--no-check-sections -Wl,-e,0 \
                -o "$TMP/m.elf" 2>/dev/null || continue
            text "$objcopy" "$TMP/m.elf" "$TMP/m.bin"
            add "$arch" "src:$(echo "$mod" | tr '/' '_')" "$TMP/m.bin" "trawl@$SRC_COMMIT src/$mod $opt"
        done
        for p in "$PROGS"/*.c; do
            [ -f "$p" ] || continue
            # shellcheck disable=SC2086
            $cc $flags -std=c11 $opt -nostdinc -isystem "$SHIM" -isystem "$gi" -w -nostdlib \
                -nostartfiles -static "$p" -Wl,--unresolved-symbols=ignore-all \
                -Wl,--no-check-sections -Wl,-e,0 -o "$TMP/p.elf" 2>/dev/null || continue
            text "$objcopy" "$TMP/p.elf" "$TMP/p.bin"
            add "$arch" "prog:$(basename "$p" .c)" "$TMP/p.bin" "tools/fwarch/programs/$(basename "$p") $opt"
        done
    done
}

# shared ARCH OBJCOPY DIR LIB...: .text of linked shared libraries.
shared() {
    arch=$1 objcopy=$2 dir=$3
    shift 3
    for l in "$@"; do
        f=$dir/$l
        [ -f "$f" ] || continue
        text "$objcopy" "$f" "$TMP/l.bin"
        add "$arch" "lib:$l" "$TMP/l.bin" "$(dpkg -S "$(readlink -f "$f")" 2>/dev/null | cut -d: -f1) $f"
    done
}

# archives ARCH CC OBJCOPY FLAGS ARCHIVE...: static libraries, linked whole.
archives() {
    arch=$1 cc=$2 objcopy=$3 flags=$4
    shift 4
    for a in "$@"; do
        [ -f "$a" ] || continue
        link_whole "$cc" "$flags" "$a" "$TMP/a.elf" || continue
        text "$objcopy" "$TMP/a.elf" "$TMP/a.bin"
        add "$arch" "lib:$(basename "$a")" "$TMP/a.bin" "$(dpkg -S "$a" 2>/dev/null | cut -d: -f1) $a"
    done
}

have() { command -v "$1" >/dev/null 2>&1; }

LINUXLIBS="libc.so.6 libstdc++.so.6 libgcc_s.so.1 libm.so.6 libgomp.so.1 libatomic.so.1 libresolv.so.2 libubsan.so.1"

# x86-64: the host's own libraries and compiler
shared x86_64 objcopy /usr/lib/x86_64-linux-gnu $LINUXLIBS
shared x86_64 objcopy /lib64 ld-linux-x86-64.so.2
compile_units x86_64 gcc objcopy ""

# Linux cross toolchains: glibc and friends from the *-cross packages
for t in aarch64:aarch64-linux-gnu mips:mips-linux-gnu mipsel:mipsel-linux-gnu powerpc:powerpc-linux-gnu; do
    arch=${t%%:*} tri=${t#*:}
    have "$tri-gcc" || { echo "corpus.sh: $tri-gcc missing, $arch skipped" >&2; continue; }
    shared "$arch" "$tri-objcopy" "/usr/$tri/lib" $LINUXLIBS ld-linux-aarch64.so.1 ld.so.1
    compile_units "$arch" "$tri-gcc" "$tri-objcopy" "-fno-pic"
done

# ARM bare metal (newlib): Thumb for Cortex-M, and A32 (ARM state)
if have arm-none-eabi-gcc; then
    NL=/usr/lib/arm-none-eabi/lib
    GL=/usr/lib/gcc/arm-none-eabi/12.2.1
    for ml in v6-m/nofp v7-m/nofp v7e-m/nofp v8-m.main/nofp; do
        archives arm-thumb arm-none-eabi-gcc arm-none-eabi-objcopy "-mthumb" \
            "$NL/thumb/$ml/libc.a" "$NL/thumb/$ml/libm.a" "$GL/thumb/$ml/libgcc.a" "$GL/thumb/$ml/libgcov.a"
    done
    for cpu in cortex-m0 cortex-m3 cortex-m4; do
        compile_units arm-thumb arm-none-eabi-gcc arm-none-eabi-objcopy "-mthumb -mcpu=$cpu"
    done
    archives arm32 arm-none-eabi-gcc arm-none-eabi-objcopy "-marm" \
        "$NL/libc.a" "$NL/libm.a" "$GL/libgcc.a" "$GL/libgcov.a"
    compile_units arm32 arm-none-eabi-gcc arm-none-eabi-objcopy "-marm -mcpu=arm7tdmi"
    compile_units arm32 arm-none-eabi-gcc arm-none-eabi-objcopy "-marm -mcpu=cortex-a7"
fi

# RISC-V 64 bare metal (picolibc), the toolchain's default rv64imafdc
if have riscv64-unknown-elf-gcc; then
    PL=/usr/lib/picolibc/riscv64-unknown-elf/lib
    archives riscv64 riscv64-unknown-elf-gcc riscv64-unknown-elf-objcopy "-mcmodel=medany" \
        "$PL/libc.a" "$PL/libm.a" /usr/lib/gcc/riscv64-unknown-elf/12.2.0/libgcc.a \
        /usr/lib/gcc/riscv64-unknown-elf/12.2.0/libgcov.a
    compile_units riscv64 riscv64-unknown-elf-gcc riscv64-unknown-elf-objcopy "-mcmodel=medany"
fi

# AVR (avr-libc, libgcc) and Debian's Arduino core compiled here
if have avr-gcc; then
    for m in avr5:atmega328p avr6:atmega2560; do
        dir=${m%%:*} mcu=${m#*:}
        archives avr avr-gcc avr-objcopy "-mmcu=$mcu" \
            "/usr/lib/avr/lib/$dir/libc.a" "/usr/lib/avr/lib/$dir/libm.a" \
            "/usr/lib/gcc/avr/5.4.0/$dir/libgcc.a" "/usr/lib/gcc/avr/5.4.0/$dir/libgcov.a" \
            "/usr/lib/avr/lib/$dir/libprintf_flt.a" "/usr/lib/avr/lib/$dir/libscanf_flt.a"
        core=/usr/share/arduino/hardware/arduino/avr
        if [ -d "$core/cores/arduino" ]; then
            objs=""
            for f in "$core"/cores/arduino/*.c "$core"/cores/arduino/*.cpp; do
                o=$TMP/ard_$(basename "$f").o
                avr-gcc -mmcu="$mcu" -Os -DF_CPU=16000000L -DARDUINO=10807 -DARDUINO_ARCH_AVR \
                    -I"$core/cores/arduino" -I"$core/variants/standard" -w -c "$f" -o "$o" 2>/dev/null &&
                    objs="$objs $o"
            done
            # shellcheck disable=SC2086
            avr-gcc -mmcu="$mcu" -nostartfiles $objs -Wl,--unresolved-symbols=ignore-all \
                -Wl,--allow-multiple-definition -Wl,--no-check-sections -Wl,-e,0 -o "$TMP/ard.elf" 2>/dev/null &&
                text avr-objcopy "$TMP/ard.elf" "$TMP/ard.bin" &&
                add avr lib:arduino-core "$TMP/ard.bin" "arduino-core-avr cores/arduino -mmcu=$mcu -Os"
        fi
        compile_units avr avr-gcc avr-objcopy "-mmcu=$mcu"
    done
fi

# Xtensa LX106 (ESP8266): libgcc, and the sources (no C library is packaged)
if have xtensa-lx106-elf-gcc; then
    XL=/usr/lib/gcc/xtensa-lx106-elf/12.2.0
    archives xtensa xtensa-lx106-elf-gcc xtensa-lx106-elf-objcopy "" "$XL/libgcc.a" "$XL/libgcov.a"
    # ESP8266 builds always call through literals (-mlongcalls); some place the
    # literals inside the text they serve (-mtext-section-literals)
    compile_units xtensa xtensa-lx106-elf-gcc xtensa-lx106-elf-objcopy "-mlongcalls"
    compile_units xtensa xtensa-lx106-elf-gcc xtensa-lx106-elf-objcopy "-mlongcalls -mtext-section-literals"
fi

# Data that is not code, for the "Unknown" decision: read-only data of the
# same libraries (string and number tables), text, compressed files, images,
# fonts, time-zone tables. Same rule: the split is by unit. Random bytes,
# zeros and 0xff fills are generated by the trainer.
data() {
    unit=$1 split=$2
    shift 2
    for f in "$@"; do
        [ -f "$f" ] && cat "$f"
    done >"$TMP/d.bin"
    [ -s "$TMP/d.bin" ] || return 0
    mkdir -p "$OUT/data/$split"
    head -c 1048576 "$TMP/d.bin" >"$OUT/data/$split/$unit.bin"
    printf 'data\t%s\t%s\t%s\t%s\n' "$split" "$unit" "$(wc -c <"$OUT/data/$split/$unit.bin")" \
        "$(echo "$@" | cut -c1-120)" >>"$MANIFEST"
}
rodata() {
    objcopy=$1 f=$2 out=$3
    $objcopy -O binary --only-section=.rodata "$f" "$out" 2>/dev/null || : >"$out"
}
rodata objcopy /usr/lib/x86_64-linux-gnu/libc.so.6 "$TMP/r1"
rodata objcopy /usr/lib/x86_64-linux-gnu/libstdc++.so.6 "$TMP/r2"
data rodata-x86 train "$TMP/r1" "$TMP/r2"
if have powerpc-linux-gnu-objcopy; then
    rodata powerpc-linux-gnu-objcopy /usr/powerpc-linux-gnu/lib/libc.so.6 "$TMP/r3"
    data rodata-ppc train "$TMP/r3"
fi
if have aarch64-linux-gnu-objcopy; then
    rodata aarch64-linux-gnu-objcopy /usr/aarch64-linux-gnu/lib/libm.so.6 "$TMP/r4"
    rodata aarch64-linux-gnu-objcopy /usr/aarch64-linux-gnu/lib/libgomp.so.1 "$TMP/r5"
    data rodata-aarch64 test "$TMP/r4" "$TMP/r5"
fi
if have mips-linux-gnu-objcopy; then
    rodata mips-linux-gnu-objcopy /usr/mips-linux-gnu/lib/libm.so.6 "$TMP/r6"
    data rodata-mips test "$TMP/r6"
fi
data licenses train /usr/share/common-licenses/*
data text-docs test "$ROOT"/docs/*.md "$ROOT"/README.md
data changelogs-gz train $(ls /usr/share/doc/*/changelog.Debian.gz | head -300)
data man-gz test $(find /usr/share/man/man1 -name '*.gz' | sort | head -300)
data png train $(find /usr/share/icons -name '*.png' | sort | head -400)
data png-pixmaps test $(find /usr/share/pixmaps /usr/share/icons -name '*.png' | sort | tail -300)
data fonts test $(find /usr/share/fonts -name '*.ttf' | sort | head -3)
data zoneinfo train $(find /usr/share/zoneinfo/Europe -type f | sort)

rm -rf "$TMP"
awk -F'\t' '{ b[$1 "\t" $2] += $4 } END { for (k in b) print k "\t" b[k] }' "$MANIFEST" | sort >&2

#!/bin/sh
# firmware.sh -- `trawl firmware` on firmware built here from
# tests/data/firmware with Debian's cross compilers: an STM32F4 and an nRF52
# program are ARM Thumb, their vector tables and load addresses are found,
# and the peripherals they program are named with their base addresses and
# read/write counts; an AVR sketch built against Debian's Arduino core is
# AVR and Arduino; random bytes and text are Unknown with no SDK (exit 1);
# bad options and a damaged model file are errors (exit 2).
T=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
D=tests/data/firmware
fails=0
check() { # name expected actual
    if [ "$2" != "$3" ]; then
        echo "FAIL $1"; echo "  want: $2"; echo "  got:  $3"; fails=$((fails + 1))
    fi
}
has() { # name pattern file
    if ! grep -q -- "$2" "$3"; then
        echo "FAIL $1: no line matches $2 in"; cat "$3"; fails=$((fails + 1))
    fi
}
hasnt() {
    if grep -q -- "$2" "$3"; then
        echo "FAIL $1: a line matches $2"; fails=$((fails + 1))
    fi
}

if command -v arm-none-eabi-gcc >/dev/null 2>&1; then
    for t in stm32f4:stm32f4_uart nrf52:nrf52_uarte; do
        ld=${t%%:*} src=${t#*:}
        arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os -ffreestanding -nostartfiles -nostdlib \
            -T $D/$ld.ld $D/$src.c $D/uart_printf.c -lgcc -o "$dir/$src.elf" &&
            arm-none-eabi-objcopy -O binary "$dir/$src.elf" "$dir/$src.bin" ||
            { echo "FAIL building $src"; exit 1; }
    done
    "$T" firmware --json "$dir/stm32f4_uart.bin" >"$dir/st.json"
    check "stm32 exit" 0 $?
    has "stm32 arch" '"type":"arch","arch":"arm-thumb"' "$dir/st.json"
    has "stm32 vectors" '"vector_table":true,"table_offset":0,"initial_sp":537001984' "$dir/st.json"
    has "stm32 base" '"base":134217728,' "$dir/st.json"
    has "stm32 family" '"family":"stm32f4"' "$dir/st.json"
    has "stm32 gpioa" '"name":"GPIOA","family":"stm32f4","base":1073872896,"reads":[1-9][0-9]*,"writes":[1-9]' "$dir/st.json"
    has "stm32 rcc" '"name":"RCC","family":"stm32f4","base":1073887232,' "$dir/st.json"
    has "stm32 usart2" '"name":"USART2","family":"stm32f4","base":1073759232,"reads":1,"writes":3,' "$dir/st.json"
    has "stm32 systick" '"name":"SysTick","family":"cortex-m","base":3758153744,"reads":0,"writes":2,' "$dir/st.json"
    has "stm32 no sdk" '"type":"sdk","sdks":\[\]' "$dir/st.json"
    "$T" firmware cortexm --accesses "$dir/stm32f4_uart.bin" >"$dir/st.txt"
    has "stm32 register text" 'access 0x40004408 -W- x1 .* USART2+0x8' "$dir/st.txt"
    has "stm32 rcc text" 'access 0x40023830 RW- x2 .* RCC+0x30' "$dir/st.txt"

    "$T" firmware --json "$dir/nrf52_uarte.bin" >"$dir/nrf.json"
    has "nrf52 arch" '"arch":"arm-thumb"' "$dir/nrf.json"
    has "nrf52 base" '"base":0,"base_how":"vector table' "$dir/nrf.json"
    has "nrf52 family" '"family":"nrf52"' "$dir/nrf.json"
    has "nrf52 uarte0" '"name":"UART0/UARTE0","family":"nrf52","base":1073750016,"reads":1,"writes":7' "$dir/nrf.json"
    has "nrf52 timer0" '"name":"TIMER0","family":"nrf52","base":1073774592,' "$dir/nrf.json"
    has "nrf52 p0" '"name":"P0","family":"nrf52","base":1342177280,"reads":0,"writes":3' "$dir/nrf.json"
    # a given family overrides the choice; the base can be given too
    "$T" firmware cortexm --json --family stm32f1 --base 0 "$dir/nrf52_uarte.bin" >"$dir/f1.json"
    has "forced family" '"base":0,"base_how":"given".*"family":"stm32f1"' "$dir/f1.json"
else
    echo "SKIP Cortex-M: arm-none-eabi-gcc not installed (scripts/deps.sh installs it)"
fi

C=/usr/share/arduino/hardware/arduino/avr
if command -v avr-gcc >/dev/null 2>&1 && [ -d $C/cores/arduino ]; then
    F="-mmcu=atmega328p -Os -DF_CPU=16000000L -DARDUINO=10807 -DARDUINO_AVR_UNO -DARDUINO_ARCH_AVR"
    F="$F -I$C/cores/arduino -I$C/variants/standard -ffunction-sections -fdata-sections -w"
    for f in wiring.c wiring_digital.c hooks.c main.cpp HardwareSerial.cpp HardwareSerial0.cpp Print.cpp; do
        case $f in
        *.cpp) avr-g++ $F -std=gnu++11 -fno-exceptions -fno-threadsafe-statics -c $C/cores/arduino/$f -o "$dir/$f.o" ;;
        *) avr-gcc $F -c $C/cores/arduino/$f -o "$dir/$f.o" ;;
        esac || { echo "FAIL building the Arduino core ($f)"; exit 1; }
    done
    avr-g++ $F -std=gnu++11 -fno-exceptions -c $D/arduino_blink.cpp -o "$dir/sketch.o" &&
        avr-gcc -mmcu=atmega328p -Os -Wl,--gc-sections "$dir"/*.o -o "$dir/blink.elf" &&
        avr-objcopy -O binary "$dir/blink.elf" "$dir/blink.bin" || { echo "FAIL building the sketch"; exit 1; }
    "$T" firmware --json "$dir/blink.bin" >"$dir/avr.json"
    check "avr exit" 0 $?
    has "avr arch" '"type":"arch","arch":"avr"' "$dir/avr.json"
    has "arduino" '"sdks":\[{"name":"arduino"' "$dir/avr.json"
    has "arduino evidence" '"sdk":"arduino","rule":"millis_isr_16mhz"' "$dir/avr.json"
    hasnt "avr is no cortex-m" '"type":"peripheral"' "$dir/avr.json"
else
    echo "SKIP AVR: avr-gcc or arduino-core-avr not installed (scripts/deps.sh installs them)"
fi

# random bytes (a fixed LCG), text, zeros: Unknown, no SDK, exit 1
awk 'BEGIN { x = 12345; for (i = 0; i < 65536; i++) { x = (x * 1103515245 + 12345) % 2147483648; printf "%c", int(x / 65536) % 256 } }' \
    LC_ALL=C >"$dir/random.bin"
cat docs/*.md README.md | head -c 65536 >"$dir/text.bin"
head -c 32768 /dev/zero >"$dir/zeros.bin"
for f in random text zeros; do
    "$T" firmware --json "$dir/$f.bin" >"$dir/$f.json"
    check "$f exit" 1 $?
    has "$f unknown" '"type":"arch","arch":"unknown"' "$dir/$f.json"
    has "$f no sdk" '"sdks":\[\]' "$dir/$f.json"
    hasnt "$f no peripherals" '"type":"peripheral"' "$dir/$f.json"
done
"$T" firmware arch "$dir/zeros.bin" >"$dir/zeros.txt"
has "zeros are fill" 'region        0x00000000-0x00008000  fill' "$dir/zeros.txt"
"$T" firmware arch "$dir/text.bin" >"$dir/text.txt"
has "text is text" 'text ' "$dir/text.txt"

# a mixed image: the code region is found between data regions
if [ -f "$dir/blink.bin" ]; then
    cat "$dir/random.bin" >"$dir/mixed.bin"
    for i in 1 2 3 4 5 6; do cat "$dir/blink.bin"; done | head -c 16384 >>"$dir/mixed.bin"
    cat "$dir/text.bin" >>"$dir/mixed.bin"
    "$T" firmware arch "$dir/mixed.bin" >"$dir/mixed.txt"
    has "mixed random" 'region        0x00000000-0x00010000  random' "$dir/mixed.txt"
    has "mixed code" 'region        0x00010000-0x00014000  avr' "$dir/mixed.txt"
    has "mixed text" 'region        0x00014000-0x00024000  text' "$dir/mixed.txt"
fi

# errors
"$T" firmware cortexm --family z80 "$dir/zeros.bin" 2>"$dir/err"
check "unknown family exit" 2 $?
has "unknown family message" "unknown family 'z80'" "$dir/err"
"$T" firmware arch --window 100 "$dir/zeros.bin" >/dev/null 2>"$dir/err"
check "small window exit" 2 $?
printf 'TFWARCH\000\002\000\000\000' >"$dir/bad.tmodel"
head -c 64 /dev/zero >>"$dir/bad.tmodel"
"$T" firmware arch --model "$dir/bad.tmodel" "$dir/zeros.bin" 2>"$dir/err"
check "bad model exit" 2 $?
has "bad model message" 'offset 8: firmware model: version 2, want 1' "$dir/err"
printf 'badname: AB\n' >"$dir/bad.rules"
"$T" firmware sdk --rules "$dir/bad.rules" "$dir/zeros.bin" 2>"$dir/err"
check "bad rules exit" 2 $?
has "bad rules message" 'not SDK.EVIDENCE.WEIGHT' "$dir/err"
"$T" firmware --help | grep -q '^usage: trawl firmware'
check "help" 0 $?

[ $fails -eq 0 ] || exit 1
echo "firmware: ok"

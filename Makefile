# Front door for trawl. CMake does the building; this file names the jobs.
#   make          release build: build/bin/trawl, build/lib/libtrawl.{a,so}
#   make check    build + every test under CTest
#   make asan     the test suite under AddressSanitizer + UBSan
#   make fuzz     every libFuzzer target for FUZZ_SECONDS each
#   make bench    benchmarks against peers (see bench/README.md)
#   make loadtest `trawl serve` under wrk (LOAD_SECONDS per point, default 30)
#   make attack   hostile clients and inputs of issue 19 (ATTACK_SECONDS per hold point)
#   make eval-infer  format inference scored against truth: ../shared/data/pcap
#                 (PCAPS=DIR for another folder) and 100 generated protocols
#   make model    retrain models/prompt_injection.tmodel from ../shared/data/prompts
#   make demo     install what is missing, build, scan the bundled samples
#   make install  PREFIX=/usr/local

PREFIX ?= /usr/local
JOBS ?= 2
FUZZ_SECONDS ?= 20
LOAD_SECONDS ?= 30
CMAKE ?= cmake

.PHONY: all build check asan fuzz bench demo install clean deps format loadtest model attack eval-infer

all: build

deps:
	@sh scripts/deps.sh

build:
	@$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@$(CMAKE) --build build -j$(JOBS)

check: deps build
	cd build && ctest --output-on-failure -j$(JOBS)

asan: deps
	@$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTRAWL_ASAN=ON -DTRAWL_BENCH=OFF >/dev/null
	@$(CMAKE) --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

fuzz: deps
	@CC=clang $(CMAKE) -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRAWL_FUZZ=ON \
	  -DTRAWL_TESTS=OFF -DTRAWL_BENCH=OFF \
	  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" >/dev/null
	@$(CMAKE) --build build-fuzz -j$(JOBS)
	@sh scripts/fuzz.sh build-fuzz/fuzz $(FUZZ_SECONDS)

bench: deps build
	@sh bench/run.sh

loadtest: deps build
	@sh bench/loadtest/run.sh build/bin/trawl $(LOAD_SECONDS)

ATTACK_SECONDS ?= 45
attack: deps build
	@sh bench/attack/run.sh build/bin/trawl $(ATTACK_SECONDS)

# Trains on train.jsonl (one row in ten held out), reports dev.jsonl, writes
# the model file that the next build embeds. Deterministic: same data, same bytes.
PROMPTS ?= ../shared/data/prompts
model: build
	@$(CMAKE) --build build --target train_pi_model -j$(JOBS)
	build/tools/train_pi_model $(PROMPTS)/train.jsonl $(PROMPTS)/dev.jsonl models/prompt_injection.tmodel
	@$(CMAKE) --build build -j$(JOBS)

# Boundary precision / recall / F1 / perfection per capture of PCAPS (every
# NAME.pcap with a NAME.fields.jsonl beside it), then on GEN_COUNT generated
# protocols with known truth (also field-kind accuracy). See docs/infer.md.
PCAPS ?= ../shared/data/pcap
GEN_COUNT ?= 100
eval-infer: build
	@if [ -d "$(PCAPS)" ]; then build/bin/trawl infer --eval $(PCAPS); \
	 else echo "eval-infer: $(PCAPS) absent: real captures skipped"; fi
	@rm -rf build/infer-gen && mkdir -p build/infer-gen
	@build/bin/trawl infer --generate build/infer-gen --count $(GEN_COUNT) --seed 1000
	@echo; echo "generated protocols ($(GEN_COUNT), seeds 1000..):"
	@build/bin/trawl infer --eval build/infer-gen | tail -n +$$(($(GEN_COUNT) + 2)) | head -3

demo: deps build
	@sh scripts/demo.sh

install: build
	@$(CMAKE) --install build --prefix $(PREFIX)

format:
	@find include src tests fuzz bench tools -name "*.[ch]" | xargs clang-format -i

clean:
	rm -rf build build-asan build-fuzz

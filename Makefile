# hearsay: thin wrapper over CMake. Every target installs the Debian packages it needs first
# (scripts/deps.sh: building and running need the base set; test, fuzz and format add theirs).
#   make demo [KEEP=1]  run a local network of real nodes, shown live (quiet build); KEEP=1
#                       leaves it running, make demo-stop ends it
#   make test           build twice (normal, ASan+UBSan) and run the whole suite in each
#   make fuzz           build the libFuzzer targets with clang-19, run each FUZZ_SECONDS seconds
#   make bench          run the benchmarks; results in bench/results/*.json
#   make install [PREFIX=/usr/local]  binaries, man pages, sample config, systemd unit

JOBS         ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 30
PREFIX       ?= /usr/local
BUILD        ?= build
CMAKE        ?= cmake
CTEST_FLAGS  ?= --output-on-failure

.PHONY: all deps deps-test deps-fuzz deps-format build test test-normal test-asan fuzz bench \
	demo demo-stop install format clean

all: build

deps:
	@./scripts/deps.sh

deps-test:
	@./scripts/deps.sh test

deps-fuzz:
	@./scripts/deps.sh fuzz

deps-format:
	@./scripts/deps.sh format

build: deps
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)

test: test-normal test-asan
	@echo "hearsay: all tests passed (normal and ASan+UBSan builds)"

test-normal: deps-test build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -j $(JOBS)

test-asan: deps-test
	@$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHS_SANITIZE=ON >/dev/null
	@$(CMAKE) --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_FLAGS) -j $(JOBS)

fuzz: deps-fuzz
	@$(CMAKE) -S . -B build-fuzz -DCMAKE_C_COMPILER=clang-19 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DHS_FUZZ=ON -DHS_BUILD_DAEMON=OFF >/dev/null
	@$(CMAKE) --build build-fuzz -j $(JOBS)
	@./scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

bench: deps
	@$(CMAKE) -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
	@$(CMAKE) --build build-bench -j $(JOBS)
	@./scripts/bench.sh build-bench

demo:
	@JOBS=$(JOBS) CMAKE=$(CMAKE) PREFIX=$(PREFIX) ./scripts/demo.sh $(BUILD) \
		$(if $(filter-out 0,$(KEEP)),--keep)

demo-stop:
	@if [ -f $(BUILD)/demo-running ]; then sh "$$(cat $(BUILD)/demo-running)"; \
	else echo "hearsay demo: no network left running (make demo KEEP=1 starts one)"; fi

install: build
	@$(CMAKE) --install $(BUILD) --prefix $(PREFIX)

format: deps-format
	@find base crypto reputation overlay store node sim include tests fuzz bench examples -name '*.[ch]' \
		| xargs -r clang-format-19 -i

clean:
	rm -rf build build-asan build-fuzz build-bench

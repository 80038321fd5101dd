# hearsay: thin wrapper over CMake. Every target installs the Debian packages it needs first.
#   make demo   run a local network of real nodes, shown live
#   make test   build twice (normal, ASan+UBSan) and run the whole suite in each
#   make fuzz   build the libFuzzer targets with clang-19, run each FUZZ_SECONDS seconds
#   make bench  run the benchmarks; results in bench/results/*.json
#   make install [PREFIX=/usr/local]

JOBS         ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 30
PREFIX       ?= /usr/local
BUILD        ?= build
CMAKE        ?= cmake
CTEST_FLAGS  ?= --output-on-failure

.PHONY: all deps build test test-normal test-asan fuzz bench demo install format clean

all: build

deps:
	@./scripts/deps.sh

build: deps
	@$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@$(CMAKE) --build $(BUILD) -j $(JOBS)

test: test-normal test-asan
	@echo "hearsay: all tests passed (normal and ASan+UBSan builds)"

test-normal: build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -j $(JOBS)

test-asan: deps
	@$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHS_SANITIZE=ON >/dev/null
	@$(CMAKE) --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest $(CTEST_FLAGS) -j $(JOBS)

fuzz: deps
	@$(CMAKE) -S . -B build-fuzz -DCMAKE_C_COMPILER=clang-19 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DHS_FUZZ=ON -DHS_BUILD_DAEMON=OFF >/dev/null
	@$(CMAKE) --build build-fuzz -j $(JOBS)
	@./scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

bench: deps
	@$(CMAKE) -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
	@$(CMAKE) --build build-bench -j $(JOBS)
	@./scripts/bench.sh build-bench

demo: build
	@./scripts/demo.sh $(BUILD)

install: build
	@$(CMAKE) --install $(BUILD) --prefix $(PREFIX)

format: deps
	@find crypto reputation overlay store node sim include tests fuzz bench -name '*.[ch]' \
		| xargs -r clang-format-19 -i

clean:
	rm -rf build build-asan build-fuzz build-bench

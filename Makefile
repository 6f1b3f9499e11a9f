# Thin wrapper over CMake. Everything installs what it needs on first use.
#   make run      set up, build and start sealdb on ./data (the quick start)
#   make test     set up, build and run the whole test suite (FIPS provider in force)
#   make asan     the same tests under ASan + UBSan
#   make bench    benchmarks (print figure, baseline and ratio)
#   make debug    debug build in build-debug/
#   make fuzz     libFuzzer targets, FUZZ_SECONDS each (default 60)
BUILD    ?= build
ASAN_DIR ?= build-asan
DBG_DIR  ?= build-debug
JOBS     ?= $(shell nproc)
CC       ?= cc
DATA     ?= ./data

.PHONY: all deps fips configure build run test asan clang debug bench fuzz fips-check format clean distclean

all: build

deps:
	@./scripts/deps.sh

fips: deps
	@./scripts/fips-provider.sh $(BUILD)/fips

$(BUILD)/CMakeCache.txt: | fips
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

configure: fips $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/sealdb --dir $(DATA)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

asan: fips
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DSEAL_SANITIZE=ON -DSEAL_FIPS_DIR=$(CURDIR)/$(BUILD)/fips
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The whole suite built by clang at -O3 (-Werror: clang and gcc warn about
# different things, and -O3 finds more than the default -O2).
CLANG_DIR ?= build-clang
clang: fips
	@SEAL_DEPS_CLANG=1 ./scripts/deps.sh
	cmake -S . -B $(CLANG_DIR) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release -DSEAL_FIPS_DIR=$(CURDIR)/$(BUILD)/fips
	cmake --build $(CLANG_DIR) -j $(JOBS)
	cd $(CLANG_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

debug: fips
	cmake -S . -B $(DBG_DIR) -DCMAKE_BUILD_TYPE=Debug -DSEAL_FIPS_DIR=$(CURDIR)/$(BUILD)/fips
	cmake --build $(DBG_DIR) -j $(JOBS)

bench: build
	./scripts/bench.sh $(BUILD)

# libFuzzer targets (clang, ASan + UBSan), each run for FUZZ_SECONDS.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz: fips
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	    -DSEAL_SANITIZE=ON -DSEAL_FUZZ=ON -DSEAL_FIPS_DIR=$(CURDIR)/$(BUILD)/fips
	cmake --build $(FUZZ_DIR) -j $(JOBS)
	./scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

fips-check: build
	./scripts/fips-check.sh $(BUILD)/sealdb

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)/CMakeFiles $(BUILD)/src $(BUILD)/tests

distclean:
	rm -rf $(BUILD) $(ASAN_DIR) $(DBG_DIR) $(CLANG_DIR) $(FUZZ_DIR)

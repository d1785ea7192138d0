# bench.mk - `make bench` runs every benchmark program (host bench_*.c and the
# QEMU benchmark apps) and writes docs/benchmarks.md.

BENCH_APPS ?= $(notdir $(patsubst %/bench.config,%,$(wildcard apps/*/bench.config)))

.PHONY: bench
bench:
	$(Q)$(MAKE) --no-print-directory -j$(shell nproc) bench-build
	$(Q)scripts/run-benchmarks docs/benchmarks.md "$(HOST_BENCHES)" "$(BENCH_APPS)"

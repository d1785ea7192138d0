# test.mk - make test = host unit tests + QEMU app tests + configuration matrix
# + the make interface (scripts/test-make),
# closing with one line "N passed, N failed".
# Host programs, app cases and configurations run JOBS at a time (default: the
# number of CPUs; make test JOBS=1 runs them one by one).

RESULTS := $(BUILD)/results
N ?= 20
FUZZ_TIME ?= 60
# Device trees of the QEMU virt machine, for axhal's FDT reader tests.
DTBS := $(BUILD)/host/dtb/virt-128M-1.dtb $(BUILD)/host/dtb/virt-4G-4.dtb

.PHONY: test test-host test-apps test-configs test-make fuzz bench qemu-cmd
test-host: $(DTBS)
	$(Q)$(MAKE) --no-print-directory -j$(shell nproc) host-build fuzz-build bench-build
	$(Q)mkdir -p $(RESULTS)
	$(Q)scripts/run-host-tests $(RESULTS)/host $(HOST_TESTS) -- $(HOST_FUZZERS) --- $(HOST_BENCHES)

test-apps:
	$(Q)mkdir -p $(RESULTS)
	$(Q)scripts/run-app-tests $(RESULTS)/apps $(CASES)

test-configs:
	$(Q)mkdir -p $(RESULTS)
	$(Q)scripts/test-configs $(RESULTS)/configs $(N) $(or $(SEED),1)

test-make:
	$(Q)mkdir -p $(RESULTS)
	$(Q)scripts/test-make $(RESULTS)/make

# Every part runs even when an earlier one failed; the summary decides.
test:
	$(Q)rm -rf $(RESULTS)
	-$(Q)$(MAKE) --no-print-directory test-host
	-$(Q)$(MAKE) --no-print-directory test-apps
	-$(Q)$(MAKE) --no-print-directory test-configs
	-$(Q)$(MAKE) --no-print-directory test-make
	$(Q)scripts/test-summary $(RESULTS)/host $(RESULTS)/apps $(RESULTS)/configs $(RESULTS)/make

# libFuzzer targets, FUZZ_TIME seconds each, corpora kept in build/fuzz-corpus.
fuzz:
	$(Q)$(MAKE) --no-print-directory -j$(shell nproc) fuzz-build
	$(Q)for f in $(HOST_FUZZERS); do \
		mkdir -p $(BUILD)/fuzz-corpus/$$(basename $$f); \
		echo "  FUZZ    $$f ($(FUZZ_TIME) s)"; \
		$$f -max_total_time=$(FUZZ_TIME) $(BUILD)/fuzz-corpus/$$(basename $$f) 2>&1 | tail -n 3 || exit 1; \
	done

# The QEMU command line of the configured image (used by the app test runner).
qemu-cmd:
	@echo qemu-system-riscv64 $(QEMU_ARGS)

$(BUILD)/host/dtb/virt-%.dtb:
	@mkdir -p $(@D)
	$(Q)qemu-system-riscv64 -machine virt,dumpdtb=$@ -m $(word 1,$(subst -, ,$*)) \
		-smp $(word 2,$(subst -, ,$*)) -nographic >/dev/null

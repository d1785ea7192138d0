# test.mk - make test = host unit tests + QEMU app tests + configuration matrix,
# closing with one line "N passed, N failed".

RESULTS := $(BUILD)/results
N ?= 20
SEED ?= 1
FUZZ_TIME ?= 60
# Device trees of the QEMU virt machine, for axhal's FDT reader tests.
DTBS := $(BUILD)/host/dtb/virt-128M-1.dtb $(BUILD)/host/dtb/virt-4G-4.dtb

.PHONY: test test-host test-apps test-configs fuzz bench test-deps qemu-cmd
test-deps:
	$(Q)scripts/deps --test

test-host: test-deps $(DTBS)
	$(Q)$(MAKE) --no-print-directory -j$(shell nproc) host-build fuzz-build bench-build
	$(Q)mkdir -p $(RESULTS)
	$(Q)scripts/run-host-tests $(RESULTS)/host $(HOST_TESTS) -- $(HOST_FUZZERS) --- $(HOST_BENCHES)

test-apps: test-deps
	$(Q)mkdir -p $(RESULTS)
	$(Q)scripts/run-app-tests $(RESULTS)/apps $(CASES)

test-configs: test-deps
	$(Q)mkdir -p $(RESULTS)
	$(Q)scripts/test-configs $(RESULTS)/configs $(N) $(SEED)

# Every part runs even when an earlier one failed; the summary decides.
test: test-deps
	$(Q)rm -rf $(RESULTS)
	-$(Q)$(MAKE) --no-print-directory test-host
	-$(Q)$(MAKE) --no-print-directory test-apps
	-$(Q)$(MAKE) --no-print-directory test-configs
	$(Q)scripts/test-summary $(RESULTS)/host $(RESULTS)/apps $(RESULTS)/configs

# libFuzzer targets, FUZZ_TIME seconds each, corpora kept in build/fuzz-corpus.
fuzz: test-deps
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

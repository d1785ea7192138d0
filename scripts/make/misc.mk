# misc.mk - help, clean, distclean, compile_commands.json.

.PHONY: help clean distclean
help:
	@echo "Configure:  make menuconfig | defconfig | olddefconfig | savedefconfig | randconfig [SEED=n]"
	@echo "            make allnoconfig | alldefconfig;  A=apps/<app> picks the app (apps: $(APPS))"
	@echo "Build/run:  make [build] | run [MEM=4G SMP=2] | debug | size   (V=1 shows commands, O=dir output)"
	@echo "Test:       make test (host + apps + configs) | test-host | test-apps | test-configs [N=20 SEED=1]"
	@echo "            make fuzz [FUZZ_TIME=60] | bench"
	@echo "Tidy:       make clean (objects, keeps .config) | distclean (all of build/, or of O=dir)"
	@echo "Tools:      make compile_commands.json (bear) | deps"

clean:
	$(Q)rm -rf $(O)/obj $(O)/*.elf $(O)/*.bin $(O)/objs.list $(BUILD)/host $(BUILD)/test

distclean:
	$(Q)rm -rf $(BUILD)

# Written into the output directory, where clangd finds it (it looks in build/).
.PHONY: compile_commands.json
compile_commands.json:
	$(Q)rm -rf $(O)/obj && bear --output $(O)/$@ -- $(MAKE) --no-print-directory build
	@echo "  BEAR    $(O)/$@"

# hostile.mk - helper programs for the hostile media suite (tests/integration/t_hostile_*).
# changing-fs: a tiny FUSE filesystem whose files change between opens (libfuse3).
$(BUILD)/tests/changing-fs: tests/fuse/changing-fs.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -Wall -Wextra -O2 -g -D_GNU_SOURCE $$(pkg-config --cflags fuse3) -o $@ $< $$(pkg-config --libs fuse3)

EXTRA_CHECK_DEPS += $(BUILD)/tests/changing-fs

# failing-fs: a FUSE folder whose writes fail with ENOSPC at a chosen record (the audit
# log's fail-closed tests, t_audit_fail_closed).
$(BUILD)/tests/failing-fs: tests/fuse/failing-fs.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -Wall -Wextra -O2 -g -D_GNU_SOURCE $$(pkg-config --cflags fuse3) -o $@ $< $$(pkg-config --libs fuse3)

EXTRA_CHECK_DEPS += $(BUILD)/tests/failing-fs

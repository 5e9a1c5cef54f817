# security.mk - helper programs for the security review's tests (issue 14).
# hold-fs: a FUSE view of a folder whose one file's open waits until the test releases it
# (t_reload_responsive: a signature reload held at a known point).
$(BUILD)/tests/hold-fs: tests/fuse/hold-fs.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -Wall -Wextra -O2 -g -D_GNU_SOURCE $$(pkg-config --cflags fuse3) -o $@ $< $$(pkg-config --libs fuse3)

EXTRA_CHECK_DEPS += $(BUILD)/tests/hold-fs

# make check-asan: the same unit and integration tests with everything built under
# AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/ (with the message catalogue:
# the programs read it next to themselves).
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: check-asan
check-asan: deps
	$(MAKE) BUILD=build-asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	    build-asan/kiosk $(patsubst $(BUILD)/%,build-asan/%,$(UNIT_BINS) $(EXTRA_CHECK_DEPS) $(KIOSK_MO))
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:verify_asan_link_order=0 \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/asan/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 \
	    SKIP="$(ASAN_SKIP)" tests/run.sh build-asan

# The screen (GTK under Xvfb) is not built with the sanitizers; the benchmark harness
# times other programs; ASan's quarantine makes the service's RSS grow by design, so the
# fifty-cycle memory test is make check's.
ASAN_SKIP := t_ui_screens t_ui_daemon t_ui_admin_stick t_bench_tiny t_daemon_cycles

# make check-valgrind: the unit tests under valgrind (memory errors and definite leaks
# fail them).  test_udev runs itself under umockdev's LD_PRELOAD wrapper, which valgrind
# cannot follow; it is left out here (check-asan covers it).
.PHONY: check-valgrind
check-valgrind: all $(UNIT_BINS)
	UNIT_SKIP=test_udev UNIT_TIMEOUT=600 UNIT_WRAPPER="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --trace-children=no" \
	    tests/run.sh $(BUILD) --unit-only

# make check-asan: the same unit and integration tests with everything built under
# AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: check-asan
check-asan: deps
	$(MAKE) BUILD=build-asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	    build-asan/kiosk $(patsubst $(BUILD)/%,build-asan/%,$(UNIT_BINS))
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    SKIP="$(ASAN_SKIP)" tests/run.sh build-asan

# The screen (GTK under Xvfb) is not built with the sanitizers; the benchmark harness
# times other programs.
ASAN_SKIP := t_ui_screens t_ui_daemon t_bench_tiny

# make check-valgrind: the unit tests under valgrind (memory errors and definite leaks
# fail them).
.PHONY: check-valgrind
check-valgrind: all $(UNIT_BINS)
	UNIT_TIMEOUT=600 UNIT_WRAPPER="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --trace-children=no" \
	    tests/run.sh $(BUILD) --unit-only

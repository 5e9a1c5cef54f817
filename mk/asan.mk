# make check-asan: the same unit and integration tests with everything built under
# AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: check-asan
check-asan: deps
	$(MAKE) BUILD=build-asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	    build-asan/kiosk $(patsubst $(BUILD)/%,build-asan/%,$(UNIT_BINS))
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    tests/run.sh build-asan

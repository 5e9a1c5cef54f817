# make fuzz: libFuzzer targets (clang) for the parsers of untrusted or admin input, each
# run for FUZZ_SECONDS with its corpus in tests/fuzz/corpus/<name>/.
FUZZ_SECONDS ?= 20
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
# The library code each target needs, built with the fuzzer's instrumentation.
FUZZ_LIB     := common/kerr.c common/log.c common/util.c common/json.c common/reason.c \
                policy/policy.c policy/policy-groups.c policy/policy-decide.c media/names.c \
                service/events.c kiosk/sign.c handoff/verify-manifest.c common/version.c reader/msg.c common/sockmsg.c \
                scanner/edifact.c scanner/sanitize.c scanner/sanitize-ooxml.c scanner/sanitize-pdf.c
FUZZ_PKGS    := $(PKGS) libsodium libsystemd libzip libxml-2.0 libqpdf

.PHONY: fuzz
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WARN) -DKIOSK_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(FUZZ_PKGS)) -o $@ $< $(FUZZ_LIB) \
	    $(shell pkg-config --libs $(FUZZ_PKGS))

fuzz: $(FUZZ_BINS)
	@for b in $(FUZZ_BINS); do \
	    n=$${b##*/fuzz_}; mkdir -p $(BUILD)/fuzz/work-$$n; \
	    echo "== $$n ($(FUZZ_SECONDS) s)"; \
	    $$b -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $(BUILD)/fuzz/work-$$n tests/fuzz/corpus/$$n \
	        2>$(BUILD)/fuzz/$$n.log || { tail -40 $(BUILD)/fuzz/$$n.log; exit 1; }; \
	    tail -1 $(BUILD)/fuzz/$$n.log; \
	done

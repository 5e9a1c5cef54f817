# Benchmark: kiosk scan against clamscan and clamd (bench/README.md).
#   make bench                   full size (~400 MB corpus, ~2M signatures), 3 runs each
#   make bench BENCH_SIZE=tiny   ~4 MB corpus and a small database: proves the harness
#   make bench BENCH_SIZE=100    a 100 MB corpus
BENCH_SIZE ?=
BENCH_ARGS ?=

.PHONY: bench

bench: deps
	$(MAKE) all
	BENCH_SIZE=$(BENCH_SIZE) bench/run.sh $(BUILD) $(BENCH_ARGS)
	bench/publish.py --build $(BUILD) $(if $(filter tiny,$(BENCH_SIZE)),--tiny,$(if $(BENCH_SIZE),--size $(BENCH_SIZE)))

# Publication alone: the bench corpus's delivery pushed to a private smbd, against
# smbclient mput of the same files (docs/handoff.md).
.PHONY: bench-publish
bench-publish: deps
	$(MAKE) all
	bench/publish.py --build $(BUILD) $(if $(filter tiny,$(BENCH_SIZE)),--tiny,$(if $(BENCH_SIZE),--size $(BENCH_SIZE)))

# Latency in the service: udev event of a 20-file stick -> delivery published.
.PHONY: bench-latency
bench-latency: deps
	$(MAKE) all
	bench/latency.sh $(BUILD)

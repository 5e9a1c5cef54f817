# scanner.mk - sandboxed scanner workers (scanner/pool.c service side, scanner/worker.c
# zygote + worker, scanner/sandbox.c confinement).  See docs/privsep.md.
LIB_SRCS += scanner/pool.c scanner/spawner.c scanner/worker.c scanner/sandbox.c \
            scanner/edifact.c
LIB_SRCS += scanner/verdict-cache.c
PKGS += libseccomp

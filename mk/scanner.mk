# scanner.mk - sandboxed scanner workers (scanner/pool.c service side, scanner/worker.c
# zygote + worker, scanner/sandbox.c confinement).  See docs/privsep.md.
LIB_SRCS += scanner/pool.c scanner/spawner.c scanner/worker.c scanner/sandbox.c \
            scanner/edifact.c
LIB_SRCS += scanner/verdict-cache.c
PKGS += libseccomp
# Content disarm (scanner/sanitize*.c, run only inside a worker; kiosk/disarm.c decides and
# checks): libzip + libxml2 rewrite Office documents, libqpdf rewrites PDFs.
LIB_SRCS += scanner/sanitize.c scanner/sanitize-ooxml.c scanner/sanitize-pdf.c kiosk/disarm.c
PKGS += libzip libxml-2.0 libqpdf

# report.mk - reports and receipts (cairo, pango, libqrencode), printing (libcups),
# signed deliveries (libsodium, minisign formats) and the TOS-side checker.
LIB_SRCS += kiosk/sign.c report/report.c report/report-draw.c report/report-edifact.c report/report-a4.c \
            report/report-receipt.c report/printer.c handoff/verify-manifest.c handoff/verify-batch.c
CLI_SRCS += kiosk/cmd-report.c kiosk/cmd-verify.c
PKGS     += libsodium cairo pangocairo libqrencode
# Debian 12's libcups2-dev has no .pc file: cups-config, or plain -lcups.
LDLIBS   += $(shell cups-config --libs 2>/dev/null || echo -lcups)

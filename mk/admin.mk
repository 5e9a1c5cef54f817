# admin.mk - administration: password + lockout, signed policy updates, signature
# database install/reload/freshness, `kiosk status|admin|signatures` (docs/admin.md).
LIB_SRCS += kiosk/admin.c kiosk/policy-install.c kiosk/sigdb.c kiosk/bundle.c
CLI_SRCS += kiosk/cmd-admin.c
PKGS     += libsodium

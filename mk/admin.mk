# admin.mk - administration: password + lockout, signed policy updates, signature
# database install/reload/freshness, `kiosk status|admin|signatures` (docs/admin.md).
LIB_SRCS += admin/admin.c admin/policy-install.c admin/sigdb.c admin/bundle.c
CLI_SRCS += kiosk/cmd-admin.c
PKGS     += libsodium

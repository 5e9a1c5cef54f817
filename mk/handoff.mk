# handoff.mk - the hand-off to the TOS side (docs/handoff.md): the publisher process and
# its stores (a local folder through descriptors, an SMB share through libsmbclient),
# `kiosk staging`, and kiosk-verify, the TOS side's checker.  The work area and the
# outbox are core (Makefile's LIB_SRCS): every session commits to them.
LIB_SRCS += kiosk/handoff.c kiosk/publish.c kiosk/publish-worker.c kiosk/publish-dir.c kiosk/publish-smb.c
CLI_SRCS += kiosk/cmd-staging.c
PKGS     += smbclient

# systemd.mk - libsystemd: sd_notify (Type=notify readiness, STATUS=, the watchdog, reload
# notifications: service/daemon.c, service/notify.c) and journald's native protocol (structured
# fields of log lines and audit records: common/log.c, kiosk/audit-syslog.c).
LIB_SRCS += kiosk/audit-syslog.c
PKGS     += libsystemd
LIB_SRCS += service/notify.c

# install.mk - make install: the programs, the system files (systemd unit, udev rule,
# sysusers.d, tmpfiles.d), the man pages, the documentation where the unit's
# Documentation= points, and bash completion.  DESTDIR= and the directories below are for
# the Debian package (debian/rules); on a machine, `make install` as root also creates
# the users, groups and folders (systemd-sysusers, systemd-tmpfiles) and keeps an existing
# /etc/kiosk/kiosk.conf or policy.conf.
PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
MANDIR        ?= $(PREFIX)/share/man
DOCDIR        ?= $(PREFIX)/share/doc/kiosk
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
# systemd and udev read /etc for local additions, /lib and /usr/lib for packages.
UNITDIR       ?= /etc/systemd/system
UDEVRULESDIR  ?= /etc/udev/rules.d
SYSUSERSDIR   ?= /etc/sysusers.d
TMPFILESDIR   ?= /etc/tmpfiles.d
# 1 (make install as root, no DESTDIR): create the users and folders now.
APPLY_SYSTEM  ?= $(if $(DESTDIR),0,1)

MAN_PAGES := man/kiosk.8 man/kiosk.conf.5 man/kiosk-policy.5 man/kiosk-ui.1 man/kiosk-verify.1 \
             man/kiosk-publish.8
DOC_FILES := $(wildcard docs/*.md)
DOC_EXAMPLES := data/kiosk.conf data/policy.conf data/usbguard-rules.conf data/rsyslog-kiosk.conf

.PHONY: install
install: all $(BUILD)/kiosk-ui $(KIOSK_MO)
	install -D -m 0755 $(BUILD)/kiosk $(DESTDIR)$(BINDIR)/kiosk
	install -D -m 0755 $(BUILD)/kiosk-ui $(DESTDIR)$(BINDIR)/kiosk-ui
	install -D -m 0755 $(BUILD)/kiosk-verify $(DESTDIR)$(BINDIR)/kiosk-verify
	install -D -m 0755 $(BUILD)/kiosk-publish $(DESTDIR)$(BINDIR)/kiosk-publish
	install -D -m 0644 $(KIOSK_MO) $(DESTDIR)/usr/share/locale/ja/LC_MESSAGES/kiosk.mo
	install -d -m 0755 $(DESTDIR)/etc/kiosk
	install -d -m 0700 $(DESTDIR)/etc/kiosk/admin-keys
	[ -e $(DESTDIR)/etc/kiosk/kiosk.conf ] || install -m 0644 data/kiosk.conf $(DESTDIR)/etc/kiosk/
	[ -e $(DESTDIR)/etc/kiosk/policy.conf ] || install -m 0644 data/policy.conf $(DESTDIR)/etc/kiosk/
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/usr/local/share/doc/kiosk|$(DOCDIR)|g' \
	    data/kiosk.service > $(DESTDIR)$(UNITDIR)/kiosk.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/kiosk.service
	install -D -m 0644 data/90-kiosk.rules $(DESTDIR)$(UDEVRULESDIR)/90-kiosk.rules
	install -D -m 0644 data/kiosk.sysusers $(DESTDIR)$(SYSUSERSDIR)/kiosk.conf
	install -D -m 0644 data/kiosk.tmpfiles $(DESTDIR)$(TMPFILESDIR)/kiosk.conf
	install -D -m 0644 data/kiosk-ui.sysusers $(DESTDIR)$(SYSUSERSDIR)/kiosk-ui.conf
	install -D -m 0644 data/kiosk-ui.tmpfiles $(DESTDIR)$(TMPFILESDIR)/kiosk-ui.conf
	for m in $(MAN_PAGES); do \
	    s=$${m##*.}; install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/$${m#man/}; done
	install -d -m 0755 $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 README.md $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(DOC_EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	install -D -m 0644 data/kiosk.bash-completion $(DESTDIR)$(COMPLETIONDIR)/kiosk
	ln -sf kiosk $(DESTDIR)$(COMPLETIONDIR)/kiosk-ui
	@if [ "$(APPLY_SYSTEM)" = 1 ] && [ "$$(id -u)" = 0 ]; then \
	    echo "systemd-sysusers, systemd-tmpfiles: the kiosk's users, groups and folders"; \
	    systemd-sysusers $(SYSUSERSDIR)/kiosk.conf $(SYSUSERSDIR)/kiosk-ui.conf && \
	    systemd-tmpfiles --create $(TMPFILESDIR)/kiosk.conf $(TMPFILESDIR)/kiosk-ui.conf; \
	fi
# Deliveries are signed by default: a kiosk installed here gets its key now (the service
# makes it at its first start as well; the package's postinst does the same).  Never into
# a DESTDIR: a key is per kiosk.
	@if [ "$(APPLY_SYSTEM)" = 1 ] && [ "$$(id -u)" = 0 ] && [ ! -e /etc/kiosk/signing.key ]; then \
	    $(BUILD)/kiosk keygen --out-dir /etc/kiosk; fi

# package.mk - the Debian package (make deb) and the README's two commands on a fresh
# Debian 12 root (make check-fresh).  Both run in CI (.ci/run).
#
#   make deb           dpkg-buildpackage -us -uc -b on a copy of the tracked files (in
#                      $(BUILD)/deb/), then lintian: no error allowed.  The .debs land in
#                      $(BUILD)/deb/.
#   make check-fresh   tools/check-fresh.sh: a minimal Debian 12 root from this machine's
#                      apt sources (mmdebstrap), a clone of the committed HEAD in it, and
#                      there, as root: make demo, make check; then the .debs of make deb
#                      installed in a second fresh root (systemd-analyze verify).
DEB_DIR := $(BUILD)/deb

.PHONY: deb check-fresh
deb:
	tools/check-packaging.sh
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/kiosk-$(VERSION)
	git ls-files -z | tar --null -T - -cf - | tar -x -C $(DEB_DIR)/kiosk-$(VERSION)
	cd $(DEB_DIR)/kiosk-$(VERSION) && dpkg-buildpackage -us -uc -b > ../build.log 2>&1 || \
	    { tail -40 ../build.log; exit 1; }
	cd $(DEB_DIR) && lintian --fail-on error --info --display-level '>=warning' *.changes
	@ls -l $(DEB_DIR)/*.deb

check-fresh:
	tools/check-fresh.sh $(BUILD)

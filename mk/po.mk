# po.mk - the kiosk's one message catalogue, domain "kiosk": the screen (gettext(3) with
# LANGUAGE switched per visitor), the CLI (gettext(3), i18n_init_cli) and the reports,
# receipts and reasons (common/i18n.c: per-call language, any thread).  One domain because
# the three share their sentences (verdicts, reasons, "Blocked by policy") and one
# Japanese vocabulary; one .po keeps the terms consistent for the translator.
#
#     make po         sources -> po/kiosk.pot (xgettext) -> po/ja.po (msgmerge)
#     make po-check   the template is up to date and ja.po complete (t_po runs it too)
#
# BUILD/locale/ja/LC_MESSAGES/kiosk.mo is what the programs read uninstalled (they look
# next to themselves, common/i18n.h); make install and debian/kiosk.install put it in
# /usr/share/locale/ja/LC_MESSAGES/.
PO_LANGS := $(shell sed -e 's/\#.*//' po/LINGUAS)
PO_SRCS   = $(shell sed -e 's/\#.*//' -e '/^ *$$/d' po/POTFILES)
XGETTEXT_FLAGS := --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
    --keyword=NC_:1c,2 --keyword=ngettext:1,2 --keyword=i18n_text:2 \
    --keyword=i18n_ntext:2,3 --keyword=i18n_ctext:2c,3 --add-comments=TRANSLATORS \
    --package-name=kiosk --msgid-bugs-address=docs/translations.md --sort-by-file --no-wrap

EXTRA_BINS += $(KIOSK_MO)

.PHONY: po po-check po-flags

$(KIOSK_MO): po/ja.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

po:
	xgettext $(XGETTEXT_FLAGS) -D . -f po/POTFILES -o po/kiosk.pot
	sed -i -e '/^"POT-Creation-Date:/d' po/kiosk.pot
	for l in $(PO_LANGS); do \
	    msgmerge --quiet --update --no-fuzzy-matching --no-wrap --backup=none po/$$l.po po/kiosk.pot; done

po-check:
	tools/po-check.sh

po-flags:
	@echo $(XGETTEXT_FLAGS)

# Every reason code with sample parameters and its English and Japanese sentences (JSON),
# for the tests that look at the screen and the reports (t_ui_reasons).
$(BUILD)/reason-samples: tests/ui/reason-samples.c $(BUILD)/libkiosk.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libkiosk.a $(LDLIBS)
EXTRA_CHECK_DEPS += $(BUILD)/reason-samples

/* reason.c - the table of reason codes and the formatting of their sentences (reason.h).
 *
 * The English formats are the msgids of the "kiosk" gettext domain: keep each one the
 * same as the sentence the service wrote before codes existed, since people grep logs and
 * audit records for it.  Adding a code: add a row (code, N_() format, parameter names),
 * use it where the reason is made, and list it in docs/protocol.md (test_reason checks
 * the list). */
#include "common/reason.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#ifndef N_
#define N_(s) (s)
#endif

#define P(...) {__VA_ARGS__, NULL}
#define P0 {NULL}

static const struct reason_def reason_defs[] = {
    /* ---- the virus scanner (scanner/verdict.c, scanner/pool.c, scanner/scanner.c) ---- */
    {"scan.infected", N_("%1$s"), P("signature")},
    {"scan.infected-unnamed", N_("detection without a name"), P0},
    {"scan.macros", N_("document contains macros (macros are blocked by policy) (%1$s)"),
     P("signature")},
    {"scan.encrypted", N_("encrypted archive or document: its contents cannot be checked (%1$s)"),
     P("signature")},
    {"scan.limit-time", N_("could not be scanned completely: scan time limit reached (%1$s)"),
     P("signature")},
    {"scan.limit-recursion",
     N_("could not be scanned completely: archives nested too deeply (%1$s)"), P("signature")},
    {"scan.limit-files", N_("could not be scanned completely: archive holds too many files (%1$s)"),
     P("signature")},
    {"scan.limit-exceeded", N_("could not be scanned completely: size limit reached (%1$s)"),
     P("signature")},
    {"scan.limit-member",
     N_("could not be scanned completely: an archive member is larger than the scan limit (%1$s)"),
     P("signature")},
    {"scan.timeout", N_("could not be scanned completely: scan time limit reached"), P0},
    {"scan.limit-engine", N_("could not be scanned completely: %1$s"), P("detail")},
    {"scan.error", N_("scanner error: %1$s (code %2$s)"), P("detail", "code")},
    {"scan.error-unknown", N_("scanner returned an unknown result (code %1$s)"), P("code")},
    {"scan.error-rewind", N_("could not rewind the spooled copy: %1$s"), P("detail")},
    {"scan.worker-unavailable", N_("could not be scanned: no scanner worker available (%1$s)"),
     P("detail")},
    {"scan.worker-timeout", N_("could not be scanned: scanner worker timed out after %1$s ms"),
     P("ms")},
    {"scan.worker-crashed", N_("could not be scanned: scanner worker crashed (%1$s)"),
     P("detail")},
    {"scan.worker-nonsense", N_("could not be scanned: scanner worker answered nonsense"), P0},
    {"scan.worker-error", N_("%1$s"), P("detail")},
    {"scan.type-nonsense", N_("could not be typed: the scanner worker answered nonsense"), P0},
    {"scan.no-type-detection", N_("file type detection is not available"), P0},

    /* ---- reading a file into the spool (kiosk/session-file.c, media/media.c) ---- */
    {"scan.error-spool", N_("could not be copied: spool: %1$s"), P("detail")},
    {"scan.error-hash", N_("could not be hashed (no SHA-256)"), P0},
    {"scan.error-disk", N_("could not be copied: the kiosk's disk is full or failing (%1$s)"),
     P("detail")},
    {"scan.error-read", N_("could not be read from the medium: %1$s"), P("detail")},
    {"scan.error-read-unknown", N_("could not be read from the medium"), P0},
    {"scan.error-open", N_("could not be opened on the medium: %1$s"), P("detail")},
    {"scan.error-medium-gone", N_("the medium could not be read (was it removed?): %1$s"),
     P("detail")},
    {"scan.error-medium", N_("%1$s"), P("detail")},
    {"scan.file-changed", N_("the file changed while the medium was checked"), P0},
    {"scan.changed-size",
     N_("the file changed size while it was read (%1$s bytes expected, %2$s read)"),
     P("expected", "read")},
    {"scan.error-spool-read", N_("the spooled copy could not be read: %1$s"), P("detail")},
    {"scan.stopped-reading", N_("the check was stopped before this file was read completely"),
     P0},
    {"scan.stopped-scanning", N_("the check was stopped before this file was scanned"), P0},
    {"scan.cancelled", N_("the check was cancelled before this file was read"), P0},
    {"scan.session-time", N_("session time limit reached before this file was checked"), P0},
    {"deliver.path-too-long",
     N_("could not be delivered: its path is too long for the staging share (%1$s bytes, at "
        "most %2$s)"),
     P("bytes", "limit")},

    /* ---- the file policy (policy/policy.c, kiosk/session-file.c, media/walk.c) ---- */
    {"policy.type-not-allowed", N_("type not allowed: %1$s"), P("type", "ext")},
    {"policy.name-mismatch", N_("name does not match content: named .%1$s but is %2$s"),
     P("ext", "type")},
    {"policy.name-mismatch-rule",
     N_("name does not match content: named .%1$s but is %2$s (%3$s)"),
     P("ext", "type", "text", "text_ja")},
    {"policy.no-extension", N_("name does not match content: has no extension but is %1$s"),
     P("type")},
    {"policy.rule-block", N_("%2$s"), P("rule", "text", "text_ja", "type")},
    {"policy.archive", N_("archives are not allowed by policy"), P("type")},
    {"policy.type-unknown", N_("the file type could not be detected"), P0},
    {"policy.not-allowed", N_("not allowed by policy"), P0},
    {"policy.file-too-large", N_("file too large (%1$s; the limit is %2$s)"), P("size", "limit")},
    {"policy.file-grew", N_("file too large (it grew past the limit while being read)"), P0},
    {"policy.edifact", N_("%1$s"), P("problem", "problem_ja", "code")},

    /* ---- walking the medium (media/walk.c) ---- */
    {"walk.folder-loop", N_("folder loop (not followed)"), P0},
    {"walk.folder-hardlink", N_("another name (hard link) of the folder %1$s, which is checked once"),
     P("path")},
    {"walk.hardlink", N_("another name (hard link) of %1$s, which is checked once"), P("path")},
    {"walk.too-many-folders", N_("more than %1$s folders on the medium: the rest were not checked"),
     P("limit")},
    {"walk.too-many-files", N_("more than %1$s files on the medium: the rest were not checked"),
     P("limit")},
    {"walk.too-many-entries",
     N_("more than %1$s entries in this folder: the rest of the medium was not checked"),
     P("limit")},
    {"walk.too-deep", N_("folder too deep (more than %1$s levels): its contents were not checked"),
     P("limit")},
    {"walk.session-bytes", N_("the medium holds more than %1$s of files: this file was not checked"),
     P("limit")},
    {"walk.folder-open", N_("folder could not be opened: %1$s"), P("detail")},
    {"walk.folder-read", N_("folder could not be read: %1$s"), P("detail")},
    {"walk.folder-unreadable", N_("folder could not be read"), P0},
    {"walk.stopped", N_("the check was stopped: this and the rest of the medium were not checked"),
     P0},
    {"walk.session-time",
     N_("session time limit reached: this and the rest of the medium were not checked"), P0},
    {"walk.path-too-long", N_("path too long (more than %1$s bytes): not checked"), P("limit")},
    {"walk.damaged", N_("could not be read: %1$s"), P("detail")},
    {"walk.damaged-metadata", N_("could not be read: its metadata is damaged"), P0},
    {"walk.system-folder", N_("system folder skipped by policy"), P0},
    {"walk.system-file", N_("system file skipped by policy"), P0},
    {"walk.symlink", N_("symbolic link (not followed)"), P0},
    {"walk.char-device", N_("character device (not copied)"), P0},
    {"walk.block-device", N_("block device (not copied)"), P0},
    {"walk.fifo", N_("named pipe (not copied)"), P0},
    {"walk.socket", N_("socket (not copied)"), P0},
    {"walk.stream", N_("hidden data stream (not delivered)"), P0},
    {"walk.special", N_("not a regular file (not copied)"), P0},

    /* ---- content disarm (kiosk/disarm.c) ---- */
    {"disarm.no-worker", N_("could not be checked for active content (no sandboxed worker)"), P0},
    {"disarm.pdf-active", N_("PDF with active content (blocked by policy): %1$s"), P("removed")},
    {"disarm.active-content",
     N_("document contains macros or active content (blocked by policy): %1$s"), P("removed")},
    {"disarm.check-refused", N_("could not be checked for active content: %1$s"), P("detail")},
    {"disarm.spool", N_("could not be sanitized: spool: %1$s"), P("detail")},
    {"disarm.refused", N_("could not be sanitized: %1$s"), P("detail")},
    {"disarm.ole2-macros",
     N_("Office 97-2003 document with macros: a copy without macros can be made only of .docx, "
        ".xlsx and .pptx files (save it in that format without macros)"),
     P0},
    {"disarm.read-back", N_("the sanitized copy could not be read back: %1$s"), P("detail")},
    {"disarm.copy-changed", N_("the sanitized copy changed after the sanitizer answered"), P0},
    {"disarm.copy-too-large", N_("the sanitized copy is larger than the file size limit"), P0},
    {"disarm.copy-infected", N_("%1$s (in the sanitized copy)"), P("signature")},
    {"disarm.copy-refused", N_("the sanitized copy was still refused: %1$s"), P("detail")},
    {"disarm.copy-error", N_("the sanitized copy %1$s"), P("detail")},
    {"disarm.copy-untyped", N_("the sanitized copy could not be typed"), P0},
    {"disarm.copy-not-allowed", N_("the sanitized copy is not allowed: %1$s"), P("detail")},
    {"disarm.sanitized", N_("delivered as a copy without: %1$s"), P("removed")},
    {"disarm.sanitized-as", N_("delivered as %1$s, a copy without: %2$s"), P("name", "removed")},

    /* ---- device refusals (service/udev.c) ---- */
    {"device.hid-interface",
     N_("this USB device also acts as a keyboard or mouse (HID) function (interface class "
        "%1$s); only plain USB storage is accepted"),
     P("class")},
    {"device.network-interface",
     N_("this USB device also acts as a network or modem (CDC) function (interface class %1$s); "
        "only plain USB storage is accepted"),
     P("class")},
    {"device.cdc-data-interface",
     N_("this USB device also acts as a network (CDC data) function (interface class %1$s); "
        "only plain USB storage is accepted"),
     P("class")},
    {"device.wireless-interface",
     N_("this USB device also acts as a wireless (Bluetooth/RNDIS) function (interface class "
        "%1$s); only plain USB storage is accepted"),
     P("class")},
    {"device.rndis-interface",
     N_("this USB device also acts as a network (RNDIS) function (interface class %1$s); only "
        "plain USB storage is accepted"),
     P("class")},
    {"device.vendor-interface",
     N_("this USB device also acts as a vendor-specific function (could be a network or "
        "keyboard) (interface class %1$s); only plain USB storage is accepted"),
     P("class")},
    {"device.denied", N_("this device is not allowed at this kiosk (device deny list)"), P0},
    {"device.not-allowed", N_("this device is not on the kiosk's list of allowed devices"), P0},
    {"device.too-large", N_("the device is too large (%1$s MB; this kiosk accepts up to %2$s MB)"),
     P("size_mb", "limit_mb")},
    {"device.filesystem", N_("the filesystem %1$s is not accepted at this kiosk"), P("fstype")},

    /* ---- the service (service/daemon*.c, admin/sigdb.c): out of service, session ends ---- */
    {"service.audit", N_("The audit log cannot be written."), P0},
    {"service.work-area", N_("The kiosk's work area cannot be written."), P0},
    {"service.staging",
     N_("The kiosk cannot deliver files to the terminal's share; call the administrator."), P0},
    {"service.outbox-full",
     N_("%1$s of checked files are waiting for the terminal's share (at most %2$s may wait); "
        "call the administrator."),
     P("pending", "limit")},
    {"service.signatures-old",
     N_("The virus signatures are %1$s days old (at most %2$s allowed); call the administrator."),
     P("days", "max_days")},
    {"service.signatures-old-day",
     N_("The virus signatures are %1$s day old (at most %2$s allowed); call the administrator."),
     P("days", "max_days")},
    {"service.signatures-age-unknown",
     N_("The age of the virus signatures is unknown (at most %1$s days are allowed); call the "
        "administrator."),
     P("max_days")},
    {"service.policy", N_("The file policy is not valid; the administrator must correct it."), P0},
    {"service.no-signatures", N_("The virus signatures cannot be loaded."), P0},
    {"session.media-removed",
     N_("The USB media was removed before the check finished. Nothing was delivered."), P0},
    {"session.cancelled", N_("The check was cancelled. Nothing was delivered."), P0},
    {"session.failed", N_("the check could not be completed"), P0},
    /* a failed session (kiosk/session.c session_fail): the cause as a code, "detail" the
     * service's own text (the session's "error").  Not c-format for gettext: a
     * translation may leave the English detail out (the screen shows the sentence to a
     * visitor; the detail stays in the JSON and the audit log for the administrator). */
    {"medium.no-filesystem", /* xgettext:no-c-format */ N_("The USB medium has no filesystem the kiosk can read: %1$s"),
     P("detail")},
    {"medium.ambiguous",
     /* xgettext:no-c-format */ N_("The USB medium could be read in two ways and is refused: %1$s"), P("detail")},
    {"medium.encrypted", /* xgettext:no-c-format */ N_("The USB medium is encrypted; it cannot be checked: %1$s"),
     P("detail")},
    {"medium.unsupported-filesystem",
     /* xgettext:no-c-format */ N_("The filesystem of the USB medium is not accepted at this kiosk: %1$s"), P("detail")},
    {"medium.unreadable", /* xgettext:no-c-format */ N_("The USB medium could not be read: %1$s"), P("detail")},
    {"session.timeout", /* xgettext:no-c-format */ N_("The check took too long and was stopped: %1$s"), P("detail")},
    {"session.limit", /* xgettext:no-c-format */ N_("The USB medium holds more than this kiosk checks: %1$s"),
     P("detail")},
    {"session.stopped", /* xgettext:no-c-format */ N_("The check was stopped. Nothing was delivered: %1$s"), P("detail")},
    {"session.audit", /* xgettext:no-c-format */ N_("The audit log could not be written. Nothing was delivered: %1$s"),
     P("detail")},
    {"session.staging",
     /* xgettext:no-c-format */ N_("The checked files could not be prepared for delivery. Nothing was delivered: %1$s"),
     P("detail")},
    {"session.error", /* xgettext:no-c-format */ N_("The check could not be completed: %1$s"), P("detail")},

    /* ---- the administrator's stick (admin/bundle.c, service/daemon-admin-media.c; bundle_reason) ---- */
    {"admin.no-bundle",
     N_("no update bundle on this medium: put the signed files in a folder named kiosk-update "
        "at the top of the stick"),
     P0},
    {"admin.not-signed",
     N_("the bundle is not signed: SHA256SUMS.minisig is missing (sign it with 'minisign -Sm "
        "SHA256SUMS')"),
     P0},
    {"admin.bad-signature-format", N_("SHA256SUMS.minisig is not a minisign signature"), P0},
    {"admin.untrusted-key",
     N_("the bundle was signed by key %1$s, which is not a trusted administrator key (in %2$s)"),
     P("key_id", "keys")},
    {"admin.bad-signature",
     N_("the bundle's signature does not match SHA256SUMS (changed after signing, or a damaged "
        "or forged signature)"),
     P0},
    {"admin.file-changed",
     N_("%1$s differs from the signed list (changed after signing, or damaged)"), P("file")},
    {"admin.read-timeout",
     N_("reading the stick took longer than 15 minutes; nothing was installed"), P0},
    {"admin.item-refused", N_("%1$s of the bundle's updates was refused"), P("count")},
    {"admin.items-refused", N_("%1$s of the bundle's updates were refused"), P("count")},
    {"admin.nothing-to-install",
     N_("the bundle holds nothing to install (no policy, no signatures)"), P0},
    {"admin.removed", N_("The stick was removed before the work was finished."), P0},
    {"admin.export-cancelled", N_("Not erased: the export was cancelled."), P0},
    {"admin.erase-not-confirmed",
     N_("Not erased: the erase was not confirmed within 60 seconds."), P0},
    {"admin.audit", N_("the audit log cannot be written"), P0},
    {"admin.stick-too-small",
     N_("the stick is too small: the export needs about %1$s, the stick holds %2$s"),
     P("needed", "size")},
    {"admin.failed", N_("The administrator's stick could not be used: %1$s"), P("detail")},
};

#define REASON_N (sizeof(reason_defs) / sizeof(reason_defs[0]))

/* Sentence for a code this build does not know (a newer service, a damaged record). */
static const char reason_unknown_fmt[] = N_("Not accepted: %1$s");

const struct reason_def *reason_lookup(const char *code)
{
    if (!code || !code[0])
        return NULL;
    for (size_t i = 0; i < REASON_N; i++)
        if (strcmp(reason_defs[i].code, code) == 0)
            return &reason_defs[i];
    return NULL;
}

const struct reason_def *reason_table(size_t *n)
{
    *n = REASON_N;
    return reason_defs;
}

size_t reason_def_nparams(const struct reason_def *def)
{
    size_t n = 0;
    while (def && n < REASON_PARAMS_MAX && def->params[n])
        n++;
    return n;
}

/* Substitute "%N$s" (N = 1..9) and "%%" in FMT; anything else is copied as it is. */
static char *reason_subst(const char *fmt, const char *const *vals, size_t n)
{
    GString *s = g_string_new(NULL);
    for (const char *p = fmt; *p; p++) {
        if (p[0] == '%' && p[1] == '%') {
            g_string_append_c(s, '%');
            p++;
        } else if (p[0] == '%' && p[1] >= '1' && p[1] <= '9' && p[2] == '$' && p[3] == 's') {
            size_t i = (size_t)(p[1] - '1');
            if (i < n && vals[i])
                g_string_append(s, vals[i]);
            p += 3;
        } else {
            g_string_append_c(s, *p);
        }
    }
    return g_string_free(s, FALSE);
}

char *reason_format(const char *code, const char *const *params, size_t n,
                    const char *(*translate)(const char *msgid), const char *lang,
                    const char *english)
{
    const struct reason_def *def = reason_lookup(code);
    if (!def) {
        const char *fmt = translate ? translate(reason_unknown_fmt) : reason_unknown_fmt;
        const char *v[1] = {english && english[0] ? english : (code ? code : "?")};
        return reason_subst(fmt ? fmt : reason_unknown_fmt, v, 1);
    }
    size_t np = reason_def_nparams(def);
    const char *vals[REASON_PARAMS_MAX] = {0};
    for (size_t i = 0; i < np; i++)
        vals[i] = i < n && params && params[i] ? params[i] : "";
    /* lang "ja": a "NAME_ja" value replaces NAME's */
    if (lang && strcmp(lang, "ja") == 0) {
        for (size_t i = 0; i < np; i++) {
            size_t len = strlen(def->params[i]);
            if (len <= 3 || strcmp(def->params[i] + len - 3, "_ja") != 0 || !vals[i][0])
                continue;
            for (size_t k = 0; k < np; k++)
                if (strlen(def->params[k]) == len - 3 &&
                    strncmp(def->params[k], def->params[i], len - 3) == 0)
                    vals[k] = vals[i];
        }
    }
    const char *fmt = translate ? translate(def->format) : def->format;
    return reason_subst(fmt ? fmt : def->format, vals, np);
}

const char *reason_data_param(const struct reason_data *d, size_t i)
{
    size_t pos = 0;
    for (; i > 0; i--) {
        const char *nul = memchr(d->params + pos, '\0', sizeof(d->params) - pos);
        if (!nul || (size_t)(nul - d->params) + 1 >= sizeof(d->params))
            return "";
        pos = (size_t)(nul - d->params) + 1;
    }
    if (!memchr(d->params + pos, '\0', sizeof(d->params) - pos))
        return "";
    return d->params + pos;
}

void reason_data_set(struct reason_data *d, const char *code, const char *const *params, size_t n)
{
    memset(d, 0, sizeof(*d));
    if (code)
        g_strlcpy(d->code, code, sizeof(d->code));
    if (n > REASON_PARAMS_MAX)
        n = REASON_PARAMS_MAX;
    const char *v[REASON_PARAMS_MAX];
    size_t len[REASON_PARAMS_MAX], total = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = params && params[i] ? params[i] : "";
        len[i] = strnlen(v[i], sizeof(d->params));
        total += len[i] + 1;
    }
    /* too long together: shorten the longest value first, so short ones stay whole */
    while (total > sizeof(d->params)) {
        size_t big = 0, second = 0;
        for (size_t i = 1; i < n; i++)
            if (len[i] > len[big])
                big = i;
        for (size_t i = 0; i < n; i++)
            if (i != big && len[i] > second)
                second = len[i];
        size_t excess = total - sizeof(d->params);
        /* down to the next longest; equals lose a byte in turn (at most a few thousand) */
        size_t cut = len[big] > second ? MIN(excess, len[big] - second) : 1;
        len[big] -= cut;
        total -= cut;
    }
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = len[i];
        if (v[i][l] && g_utf8_validate(v[i], -1, NULL)) /* cut: at a character boundary */
            while (l > 0 && ((unsigned char)v[i][l] & 0xc0) == 0x80)
                l--;
        memcpy(d->params + pos, v[i], l);
        pos += l + 1; /* the NUL is there (memset) */
    }
}

char *reason_data_format(const struct reason_data *d, const char *(*translate)(const char *),
                         const char *lang, const char *english)
{
    const char *vals[REASON_PARAMS_MAX];
    for (size_t i = 0; i < REASON_PARAMS_MAX; i++)
        vals[i] = reason_data_param(d, i);
    return reason_format(d->code, vals, REASON_PARAMS_MAX, translate, lang, english);
}

static bool reason_text_ok(const char *s, size_t len)
{
    if (!g_utf8_validate(s, (gssize)len, NULL))
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static bool reason_zero(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i])
            return false;
    return true;
}

const char *reason_data_check(const struct reason_data *d)
{
    size_t clen = strnlen(d->code, sizeof(d->code));
    if (clen == sizeof(d->code))
        return "reason code not terminated";
    if (!reason_zero(d->code + clen, sizeof(d->code) - clen))
        return "bytes after the reason code";
    const struct reason_def *def = NULL;
    if (d->code[0] && !(def = reason_lookup(d->code)))
        return "unknown reason code";
    size_t np = reason_def_nparams(def), pos = 0;
    for (size_t i = 0; i < np; i++) {
        const char *nul = memchr(d->params + pos, '\0', sizeof(d->params) - pos);
        if (!nul)
            return "reason parameter not terminated";
        size_t len = (size_t)(nul - (d->params + pos));
        if (!reason_text_ok(d->params + pos, len))
            return "reason parameter not printable text";
        pos += len + 1;
    }
    if (!reason_zero(d->params + pos, sizeof(d->params) - pos))
        return "reason parameter beyond the code's parameters";
    return NULL;
}

void reason_json_add(JsonObject *o, const struct reason_data *d)
{
    const struct reason_def *def = reason_lookup(d->code);
    if (!d->code[0])
        return;
    json_object_set_string_member(o, "reason_code", d->code);
    JsonObject *p = json_object_new();
    for (size_t i = 0; i < reason_def_nparams(def); i++)
        json_object_set_string_member(p, def->params[i], reason_data_param(d, i));
    json_object_set_object_member(o, "reason_params", p);
}

int reason_json_get(JsonObject *o, struct reason_data *d)
{
    memset(d, 0, sizeof(*d));
    JsonNode *c = o ? json_object_get_member(o, "reason_code") : NULL;
    if (!c || !JSON_NODE_HOLDS_VALUE(c) || json_node_get_value_type(c) != G_TYPE_STRING)
        return -1;
    const struct reason_def *def = reason_lookup(json_node_get_string(c));
    if (!def)
        return -1;
    JsonNode *pn = json_object_get_member(o, "reason_params");
    JsonObject *p = pn && JSON_NODE_HOLDS_OBJECT(pn) ? json_node_get_object(pn) : NULL;
    const char *vals[REASON_PARAMS_MAX] = {0};
    size_t np = reason_def_nparams(def);
    for (size_t i = 0; i < np; i++) {
        JsonNode *v = p ? json_object_get_member(p, def->params[i]) : NULL;
        if (v && JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_STRING)
            vals[i] = json_node_get_string(v);
    }
    reason_data_set(d, def->code, vals, np);
    return 0;
}

char *reason_json_format(JsonObject *o, const char *(*translate)(const char *), const char *lang)
{
    const char *english = NULL;
    JsonNode *r = o ? json_object_get_member(o, "reason") : NULL;
    if (r && JSON_NODE_HOLDS_VALUE(r) && json_node_get_value_type(r) == G_TYPE_STRING)
        english = json_node_get_string(r);
    struct reason_data d;
    if (reason_json_get(o, &d) != 0) {
        JsonNode *c = o ? json_object_get_member(o, "reason_code") : NULL;
        const char *code = c && JSON_NODE_HOLDS_VALUE(c) &&
                                   json_node_get_value_type(c) == G_TYPE_STRING
                               ? json_node_get_string(c)
                               : NULL;
        return reason_format(code ? code : "", NULL, 0, translate, lang, english);
    }
    return reason_data_format(&d, translate, lang, english);
}

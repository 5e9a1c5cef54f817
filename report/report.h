/* report.h - the scan report (A4 PDF) and the receipt (80 mm roll PDF) of a published
 * session, drawn with cairo + pango from its MANIFEST.json, in Japanese, English or both.
 *
 * The receipt (and the first page of the A4 report) carries a QR code with the text
 *     KIOSK1 <session id> <manifest SHA-256, 64 lower-case hex digits>
 * (single spaces, nothing else), so the TOS side can match a paper receipt to the
 * delivery folder and its MANIFEST.json.  See docs/reports.md. */
#ifndef KIOSK_REPORT_H
#define KIOSK_REPORT_H

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#define REPORT_QR_PREFIX "KIOSK1"

enum report_format {
    REPORT_A4,
    REPORT_RECEIPT,
};

enum report_lang {
    REPORT_LANG_EN = 1,
    REPORT_LANG_JA = 2,
    REPORT_LANG_BOTH = 3,
};

/* A checked session as a report sees it: its outbox entry (outbox.h). */
struct report_session {
    char *id;
    char *dir;            /* where the delivery is (or goes): a folder or smb:// URL */
    bool published;       /* it reached the staging share */
    char *manifest_path;  /* the kiosk's copy, WORK/outbox/<id>/MANIFEST.json */
    char manifest_sha256[65];
    char *sig_key_id;     /* key id of MANIFEST.json.sig, or NULL when not signed */
    uint64_t audit_seq;   /* the audit record that closed the session (its checkpoint, */
    char audit_hash[65];  /* else its session-end): report_session_audit; 0 = unknown */
    JsonNode *root;       /* the parsed manifest */
    JsonObject *m;        /* its object */
};

/* Find SESSION (an id, or "last" for the newest one) in the outbox of the work area
 * WORK_DIR and read its MANIFEST.json and publication state.  KERR_NOT_FOUND (with *why)
 * when there is no such session (a failed one, or one pruned after [staging] keep-days). */
int report_session_load(const char *work_dir, const char *session, struct report_session **out,
                        char **why);
void report_session_free(struct report_session *s);

/* Find the record of AUDIT_LOG that closed S (audit_find_session_head) and keep its seq
 * and SHA-256 in S: printed on the report and the receipt, an anchor of the audit log
 * outside it (`kiosk audit verify --head SEQ:HASH`).  Nothing is printed when it is not
 * found. */
void report_session_audit(struct report_session *s, const char *audit_log);

/* True when ID looks like a session id (letters, digits, '-', '_', '.'; no leading '.'). */
bool report_session_id_valid(const char *id);

/* "KIOSK1 <id> <sha256>" (newly allocated). */
char *report_qr_text(const struct report_session *s);

struct report_options {
    enum report_format format;
    enum report_lang lang;
    const char *kiosk_name; /* may be NULL */
    const char *site;       /* may be NULL */
    /* true: the session's own "language" (the visitor's on the screen, in the manifest)
     * replaces LANG when the manifest has one; `kiosk report --lang` sets it false. */
    bool follow_session;
};

/* Draw the report of S into PDF_PATH (replaced atomically).  0 or KERR_* with *why. */
int report_render(const struct report_session *s, const struct report_options *o,
                  const char *pdf_path, char **why);

struct kiosk_config;

/* Where reports are saved: [report] folder, or WORK/reports (created mode 0750). */
char *report_save_dir(const struct kiosk_config *cfg);

/* Render SESSION ("last" allowed) per O into the save folder, then print it on PRINTER
 * (NULL: the configured one, else the CUPS default) and record "print" or "print-failed"
 * in the audit log.  *saved (may be NULL) gets the saved PDF's path even when printing
 * failed.  Returns 0, or KERR_* with *why (for people). */
int report_print_session(const struct kiosk_config *cfg, const char *session,
                         const struct report_options *o, const char *printer, int timeout_s,
                         char **saved, char **why);

/* "a4" | "receipt" and "ja" | "en" | "both"; false when TEXT is none of them. */
bool report_parse_format(const char *text, enum report_format *out);
bool report_parse_lang(const char *text, enum report_lang *out);

#endif

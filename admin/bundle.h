/* bundle.h - the administrator's USB stick: signed updates in, audit log and reports out.
 *
 * Update.  An update bundle is a folder named `kiosk-update` at the top of a volume of the
 * stick (any letter case), holding
 *     SHA256SUMS            `sha256sum` lines ("<64 hex>  <name>") for every file below
 *     SHA256SUMS.minisig    `minisign -Sm SHA256SUMS` by a trusted administrator key
 *     policy.conf + policy.conf.minisig       (optional) a signed policy
 *     *.cvd *.cld *.cud and other databases   (optional) ClamAV signatures
 * The stick is otherwise an ordinary untrusted medium: it is opened and read exactly as a
 * visitor's (read-only, by the medium reader), and nothing on it is acted on before the
 * signature of SHA256SUMS verifies against a key in the trusted folder.  Then each listed
 * file is read once into a private folder while hashing, and only when every listed file
 * is there with its listed SHA-256 are the copies installed, each through its own checks
 * (policy_install: its own signature, validation, rollback; sigdb_install: cl_cvdverify,
 * rollback, a test compile).  A missing, changed or extra-large file refuses the whole
 * bundle: nothing is installed.  Files in the folder that SHA256SUMS does not list are
 * never read.
 *
 * Export.  The audit log (with its verification), the saved reports and a status snapshot
 * go to a dedicated stick that is ERASED: the kiosk writes a new FAT filesystem
 * (mkfs.vfat) and copies the files into it with mtools, then reads them back and compares
 * every SHA-256.  The stick's old filesystem is never mounted or parsed, so a hostile
 * stick cannot attack the kiosk through the write path (usbsas writes its output medium
 * the same way). */
#ifndef KIOSK_BUNDLE_H
#define KIOSK_BUNDLE_H

#include <glib.h>
#include <json-glib/json-glib.h>

#include "kiosk/config.h"
#include "policy/policy.h"

#define BUNDLE_DIR_NAME "kiosk-update"
#define BUNDLE_SUMS "SHA256SUMS"

/* The reason code (admin.*, common/reason.h) of an update's or export's failure text WHY
 * (as bundle_apply / bundle_export_device or the service wrote it): the texts this file
 * and the service write are recognised, anything else is admin.failed {detail}. */
struct reason_data;
void bundle_reason(const char *why, struct reason_data *out);
#define BUNDLE_MAX_FILES 64
#define BUNDLE_MAX_FILE ((gint64)2 << 30)  /* one file: a .cvd over 2 GiB is not ClamAV's */
#define BUNDLE_MAX_TOTAL ((gint64)4 << 30) /* the whole bundle */

struct audit;

/* Apply the update bundle found on SOURCE: a block device or disk image (opened read-only
 * like a visitor's medium, under RUN_DIR), or a folder that is the bundle itself or holds
 * `kiosk-update`.  POL gives the media options and the test engine's scan options.
 * CANCEL (may be NULL) stops it (the stick was pulled).  *out gets {"bundle": {key_id,
 * sums_sha256, where}, "items": [{"item", "ok", "code", "message"}], "installed": N} for
 * the screen; every item is also in the audit log ("admin-update", plus the records of
 * policy_install and sigdb_install).  Returns 0 when every item was installed, KERR_* with
 * *why (plain words) otherwise; *out is set in both cases once the bundle was found. */
int bundle_apply(const char *source, const struct kiosk_config *cfg, const struct policy *pol,
                 struct audit *a, volatile gint *cancel, JsonObject **out, char **why);

/* Copy the audit log (+ audit-verify.txt), the saved reports, status.json and a
 * SHA256SUMS of them into PARENT/kiosk-export-TIME (created).  *dest gets that folder,
 * *summary {folder, files, bytes, audit_records, audit_ok, reports}. */
int bundle_export_dir(const struct kiosk_config *cfg, const char *parent, char **dest,
                      JsonObject **summary, char **why);

/* Erase DEVICE (a block device, or a regular file for tests) and write the export to a new
 * FAT filesystem on it, then read it back and compare.  Recorded as "admin-export". */
int bundle_export_device(const struct kiosk_config *cfg, const char *device, struct audit *a,
                         JsonObject **summary, char **why);

#endif

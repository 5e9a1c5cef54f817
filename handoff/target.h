/* target.h - where deliveries go: the staging share the TOS side reads
 * ([staging] target in kiosk.conf, `--target` on the command line; docs/handoff.md).
 *
 *   dir:PATH                      a local folder (the site's file server exports it
 *                                 read-only to the TOS side)
 *   smb://HOST[:PORT]/SHARE[/PATH]  an SMB share the kiosk pushes to (SMB3, signing
 *                                 required), with the credentials of [staging] credentials
 *
 * A target is parsed and checked here; publishing is publish.h's.  Functions return 0 or
 * a negative KERR_* with *why (newly allocated, for people). */
#ifndef KIOSK_TARGET_H
#define KIOSK_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum target_kind { TARGET_DIR = 1, TARGET_SMB };

struct target {
    enum target_kind kind;
    char *spec;   /* as configured (never holds a password: refused at parse) */
    char *path;   /* DIR: absolute folder; SMB: folder inside the share, "" = its top */
    char *host;   /* SMB only */
    uint16_t port;   /* SMB only; 0 = the default (445) */
    char *share;  /* SMB only */
};

#define TARGET_SMB_DEFAULT_PORT 445

/* Parse SPEC.  Refuses relative folders, '..' components, user names or passwords in
 * the URL (they belong in the credentials file), and anything that is not dir: or smb:. */
int target_parse(const char *spec, struct target **out, char **why);
void target_free(struct target *t);

/* Where session SESSION is (or will be) published: "/srv/kiosk/staging/<id>" or
 * "smb://host:port/share/path/<id>".  Newly allocated. */
char *target_session_location(const struct target *t, const char *session);

/* DIR targets: open the folder (created with its parents, 0755, if missing) without
 * following a symbolic link anywhere in its path (openat2 RESOLVE_NO_SYMLINKS), refuse
 * anything but a folder, and make it the publisher's: owner OWNER, group GROUP (both -1 =
 * leave), "other" bits cleared, at least rwx for the owner and r-x for the group.
 * Returns an O_DIRECTORY descriptor or -1 with *why. */
int target_open_dir(const struct target *t, uid_t owner, gid_t group, char **why);

/* SMB credentials file: "username=", "password=", "domain=" lines (smbclient -A format;
 * blanks around '=' allowed, '#' comments).  The file must be a regular file that only
 * its owner may read (mode 0600 or 0400), else it is refused.  *user, *password, *domain
 * newly allocated ("" when absent; the password in memory that is zeroed when freed
 * with target_secret_free). */
int target_read_credentials(const char *path, char **user, char **password, char **domain,
                            char **why);
void target_secret_free(char *s);

#endif

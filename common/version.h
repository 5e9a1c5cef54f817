/* version.h - the kiosk's version (the VERSION file at the top of the tree), as
 * `kiosk --version`, MANIFEST.json "generator", the "service-start" audit record and
 * `kiosk status` show it. */
#ifndef KIOSK_VERSION_H
#define KIOSK_VERSION_H

/* "0.9.0" */
const char *version_string(void);
/* "kiosk 0.9.0": what MANIFEST.json's "generator" says */
const char *version_generator(void);

#endif

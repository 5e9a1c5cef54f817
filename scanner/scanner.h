/* scanner.h - one compiled libclamav engine, shared by many scanning threads.
 *
 * The signature folder is loaded and compiled once; scanner_scan_fd() may then be
 * called from any number of threads at once (libclamav's engine is read-only after
 * compilation; clamd scans the same way).  The engine is refcounted so a later reload
 * can build a new engine beside the old one and swap it in while scans finish on the
 * old one. */
#ifndef KIOSK_SCANNER_H
#define KIOSK_SCANNER_H

#include <stdbool.h>
#include <stdint.h>

#include "scanner/verdict.h"

struct scanner_opts {
    uint64_t max_filesize;  /* CL_ENGINE_MAX_FILESIZE */
    uint64_t max_scansize;  /* CL_ENGINE_MAX_SCANSIZE */
    uint32_t max_recursion; /* CL_ENGINE_MAX_RECURSION */
    uint32_t max_files;     /* CL_ENGINE_MAX_FILES */
    uint32_t max_scantime;  /* CL_ENGINE_MAX_SCANTIME, ms */
    bool block_macros;      /* CL_SCAN_HEURISTIC_MACROS */
    bool block_encrypted;   /* CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE | _DOC */
    const char *tmpdir;     /* CL_ENGINE_TMPDIR, or NULL */
};

struct scanner_info {
    char engine_version[32];  /* cl_retver() */
    char db_version[128];     /* "daily:27450 main:62 bytecode:339", or "local" */
    int64_t db_time;          /* what the age is measured from (unix seconds; 0 = unknown):
                                 daily's build time, else the oldest .cvd/.cld, else the
                                 oldest plain signature file; never allow-lists or the
                                 bundled test database (scanner_db_describe) */
    unsigned int signatures;  /* signatures loaded */
    bool test_signatures;     /* the folder holds the bundled test database (exact bytes) */
    char db_dir[256];
};

struct scanner_engine;

/* Global libclamav initialisation; call once per process. */
int scanner_init(void);

/* Load every database in DBDIR and compile.  Refuses (KERR_NO_SIGNATURES) when no
 * signature was loaded.  On error *errmsg (newly allocated) says why. */
int scanner_engine_load(const char *dbdir, const struct scanner_opts *opts,
                        struct scanner_engine **out, char **errmsg);

struct scanner_engine *scanner_engine_ref(struct scanner_engine *e);
void scanner_engine_unref(struct scanner_engine *e);

const struct scanner_info *scanner_engine_info(const struct scanner_engine *e);

/* Scan an open file (read from its start).  NAME is only for libclamav's logs.
 * Always fills *out; returns 0 (the verdict says what happened). */
int scanner_scan_fd(struct scanner_engine *e, int fd, const char *name, struct verdict *out);

/* Database description for a folder without loading it: versions of the .cvd/.cld
 * files and the time the age is measured from (see scanner_info.db_time).  Used by the
 * freshness gate and status displays. */
int scanner_db_describe(const char *dbdir, struct scanner_info *info);

#endif

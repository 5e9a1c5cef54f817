/* config-check.h - every key kiosk.conf may hold, with its type and check, in one table
 * (config-check.c): `kiosk config check FILE` prints every problem with its line number,
 * and config_load() refuses a file with any (a typo such as "polcy=" or "language=jp"
 * must not be ignored silently).  A new key is one line in that table; kiosk.conf(5)
 * documents them. */
#ifndef KIOSK_CONFIG_CHECK_H
#define KIOSK_CONFIG_CHECK_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

struct config_problem {
    int line;     /* 1-based; 0 = the file as a whole */
    bool warning; /* e.g. an obsolete key: said, but the file is still accepted */
    char *message;
};

/* Check the text of a kiosk.conf (LEN bytes).  Appends struct config_problem * to
 * PROBLEMS (free with config_problem_free): errors, and warnings (->warning, e.g. an
 * obsolete key) that do not make the file invalid.  Returns the number of errors. */
unsigned config_check_text(const char *text, size_t len, GPtrArray *problems);

/* The same for the file at PATH; an unreadable file is one problem (line 0). */
unsigned config_check_file(const char *path, GPtrArray *problems);

void config_problem_free(void *p);

/* "PATH:LINE: message" per problem ("PATH:LINE: warning: message"), each on its own line. */
void config_problems_print(FILE *out, const char *path, const GPtrArray *problems);

/* The keys, for kiosk.conf(5) and the tests: calls FN for every "group", "key", "what"
 * (a short description of the accepted values) in table order. */
void config_check_each_key(void (*fn)(const char *group, const char *key, const char *what,
                                      void *data),
                           void *data);

#endif

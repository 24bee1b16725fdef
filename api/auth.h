/*
 * auth.h - bearer tokens and their roles (read, operate, admin).
 */
#ifndef RDPD_AUTH_H
#define RDPD_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"

/* Load PATH ("NAME ROLE SECRET" per line, '#' comments), refusing a file
 * others may read or write and any line not taken exactly as written.
 * Beyond LOOPBACK a missing or empty file is an error. Once tokens are
 * loaded they are required everywhere, unless LOOPBACK and
 * LOOPBACK_ANONYMOUS (the loopback_anonymous setting). PATH_EXPLICIT: the
 * path was configured, so one that exists but cannot be read is an error
 * (the default path is then only noted). Returns 0 or -ERR_* with a detail
 * naming the file and line. */
int auth_load(const char *path, bool loopback, bool loopback_anonymous, bool path_explicit);
/* Whether requests without a token are anonymous readers (true) or local
 * admins (false: loopback without tokens, or loopback_anonymous). */
bool auth_tokens_required(void);
/* Check an Authorization header value. Sets ROLE and WHO. Without a header:
 * admin as "local" when tokens are not required, read as "anonymous"
 * otherwise. Returns 0, or -1 for a bad or unknown token. */
int auth_check(const char *authorization, enum api_role *role, char *who, size_t who_cap);
size_t auth_token_count(void);

#endif

/*
 * auth.h - bearer tokens and their roles (read, operate, admin).
 */
#ifndef RDPD_AUTH_H
#define RDPD_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"

/* Load PATH ("NAME ROLE SECRET" per line, '#' comments). REQUIRED: a missing
 * file is an error (non-loopback listen). Returns 0 or -ERR_* with a detail. */
int auth_load(const char *path, bool required);
/* Check an Authorization header value. Sets ROLE and WHO. Without a header:
 * admin as "local" when tokens are not required, read as "anonymous"
 * otherwise. Returns 0, or -1 for a bad or unknown token. */
int auth_check(const char *authorization, enum api_role *role, char *who, size_t who_cap);
size_t auth_token_count(void);

#endif

/*
 * auth.c - tokens compared in constant time (every token, every byte), so
 * response timing tells nothing about how much of a guess was right.
 */
#include "api/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"

#define AUTH_MAX_TOKENS 64
#define AUTH_SECRET_MAX 128

struct auth_token {
	char name[64];
	enum api_role role;
	char secret[AUTH_SECRET_MAX];
	size_t len;
};

static struct auth_token auth_tokens[AUTH_MAX_TOKENS];
static size_t auth_n;
static bool auth_required;

static int auth_role_of(const char *s, enum api_role *role)
{
	if (strcmp(s, "read") == 0)
		*role = API_ROLE_READ;
	else if (strcmp(s, "operate") == 0)
		*role = API_ROLE_OPERATE;
	else if (strcmp(s, "admin") == 0)
		*role = API_ROLE_ADMIN;
	else
		return -1;
	return 0;
}

int auth_load(const char *path, bool required)
{
	char line[512];
	unsigned lineno = 0;
	FILE *f;

	auth_required = required;
	auth_n = 0;
	if (!path || !(f = fopen(path, "re"))) {
		if (!required)
			return 0;
		return err_setf(ERR_INVALID_ARGUMENT,
				"rdpd listens beyond loopback, so it needs tokens, but %s cannot be read. "
				"Create it with lines 'NAME ROLE SECRET' (roles: read, operate, admin), "
				"mode 0640, or listen on 127.0.0.1.", path ? path : "(no --tokens file)");
	}
	while (fgets(line, sizeof(line), f)) {
		char name[64], role[16], secret[AUTH_SECRET_MAX + 1];
		struct auth_token *t;

		lineno++;
		if (line[strspn(line, " \t")] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (sscanf(line, "%63s %15s %128s", name, role, secret) != 3 || auth_n == AUTH_MAX_TOKENS ||
		    strlen(secret) < 16) {
			fclose(f);
			return err_setf(ERR_INVALID_ARGUMENT,
					"%s line %u: expected 'NAME ROLE SECRET' with a secret of 16 to "
					"128 characters", path, lineno);
		}
		t = &auth_tokens[auth_n];
		if (auth_role_of(role, &t->role) < 0) {
			fclose(f);
			return err_setf(ERR_INVALID_ARGUMENT, "%s line %u: role '%s' is not read, operate or admin",
					path, lineno, role);
		}
		snprintf(t->name, sizeof(t->name), "%s", name);
		memcpy(t->secret, secret, strlen(secret));
		t->len = strlen(secret);
		auth_n++;
	}
	fclose(f);
	if (required && auth_n == 0)
		return err_setf(ERR_INVALID_ARGUMENT, "%s has no tokens; add 'NAME ROLE SECRET' lines", path);
	return 0;
}

/* Compare in time that depends only on the stored secret's length. */
static bool auth_equal(const struct auth_token *t, const char *given, size_t glen)
{
	unsigned char diff = (unsigned char)(glen != t->len);

	for (size_t i = 0; i < t->len; i++)
		diff |= (unsigned char)(t->secret[i] ^ (i < glen ? given[i] : 0));
	return diff == 0;
}

int auth_check(const char *authorization, enum api_role *role, char *who, size_t who_cap)
{
	const struct auth_token *match = NULL;
	const char *given;
	size_t glen;

	if (!authorization) {
		*role = auth_required ? API_ROLE_READ : API_ROLE_ADMIN;
		snprintf(who, who_cap, "%s", auth_required ? "anonymous" : "local");
		return 0;
	}
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return -1;
	given = authorization + 7;
	glen = strlen(given);
	for (size_t i = 0; i < auth_n; i++)
		if (auth_equal(&auth_tokens[i], given, glen) && !match)
			match = &auth_tokens[i];
	if (!match)
		return -1;
	*role = match->role;
	snprintf(who, who_cap, "%s", match->name);
	return 0;
}

size_t auth_token_count(void)
{
	return auth_n;
}

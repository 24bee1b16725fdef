/*
 * auth.c - tokens compared in constant time (every token, every byte), so
 * response timing tells nothing about how much of a guess was right.
 *
 * The tokens file is checked as ssh checks a private key (ssh(1),
 * FILES: "must not be accessible by others"): owned by root or the user
 * rdpd runs as, writable by its owner only, readable by the owner and, at
 * most, by the group rdpd itself runs as (the package's 0640 root:rdpd).
 * A line that cannot be taken exactly as written stops the start, naming
 * the file and the line: a secret cut short would authenticate by its
 * first characters.
 */
#include "api/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"

#define AUTH_MAX_TOKENS 64
#define AUTH_NAME_MAX 63
#define AUTH_SECRET_MIN 16
#define AUTH_SECRET_MAX 128
#define AUTH_LINE_MAX 512

struct auth_token {
	char name[AUTH_NAME_MAX + 1];
	enum api_role role;
	char secret[AUTH_SECRET_MAX];
	size_t len;
	unsigned line;
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

/* Owner, type and mode of the open tokens file (see the top of the file). */
static int auth_check_file(const char *path, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return err_setf(ERR_INVALID_ARGUMENT, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_setf(ERR_INVALID_ARGUMENT, "%s is not a regular file", path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return err_setf(ERR_INVALID_ARGUMENT,
				"%s belongs to uid %u, neither root nor the user rdpd runs as: whoever owns it "
				"decides who may erase chips. Run: sudo chown root:rdpd %s", path,
				(unsigned)st.st_uid, path);
	if (st.st_mode & (S_IWGRP | S_IRWXO) || ((st.st_mode & S_IRGRP) && st.st_gid != getegid()))
		return err_setf(ERR_INVALID_ARGUMENT,
				"%s has mode %04o: its secrets unlock chips, so only its owner may write it and "
				"only its owner and the group rdpd runs as may read it. Run: chmod 0600 %s (or "
				"chgrp rdpd %s; chmod 0640 %s, as the package installs it)",
				path, (unsigned)(st.st_mode & 07777), path, path, path);
	return 0;
}

/* Whitespace-separated fields of LINE into FIELDS (at most MAX); count. */
static size_t auth_fields(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *f = strtok_r(line, " \t\r\n", &save); f; f = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return max + 1;
		fields[n++] = f;
	}
	return n;
}

static bool auth_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* One "NAME ROLE SECRET" line (LINE, number LINENO) into the table. */
static int auth_parse_line(const char *path, unsigned lineno, char *line)
{
	char *f[3];
	size_t n = auth_fields(line, f, 3);
	struct auth_token *t = &auth_tokens[auth_n];

	if (n != 3)
		return err_setf(ERR_INVALID_ARGUMENT, "%s line %u: expected 'NAME ROLE SECRET'%s", path, lineno,
				n > 3 ? " and nothing after it (comments go on lines of their own, starting with #)"
				      : "");
	if (strlen(f[0]) > AUTH_NAME_MAX || !auth_printable(f[0]))
		return err_setf(ERR_INVALID_ARGUMENT, "%s line %u: the name must be 1 to %d printable ASCII "
				"characters", path, lineno, AUTH_NAME_MAX);
	if (auth_role_of(f[1], &t->role) < 0)
		return err_setf(ERR_INVALID_ARGUMENT, "%s line %u: role '%s' is not read, operate or admin",
				path, lineno, f[1]);
	if (strlen(f[2]) < AUTH_SECRET_MIN || strlen(f[2]) > AUTH_SECRET_MAX || !auth_printable(f[2]))
		return err_setf(ERR_INVALID_ARGUMENT,
				"%s line %u: the secret is %zu characters; it must be %d to %d printable ASCII "
				"characters (e.g. od -An -N32 -tx1 /dev/urandom | tr -d ' \\n')",
				path, lineno, strlen(f[2]), AUTH_SECRET_MIN, AUTH_SECRET_MAX);
	if (auth_n == AUTH_MAX_TOKENS)
		return err_setf(ERR_INVALID_ARGUMENT, "%s line %u: more than %d tokens", path, lineno,
				AUTH_MAX_TOKENS);
	for (size_t i = 0; i < auth_n; i++) {
		if (strcmp(auth_tokens[i].name, f[0]) == 0)
			return err_setf(ERR_INVALID_ARGUMENT, "%s line %u: the name '%s' is also on line %u; "
					"names say who requested a job, so each must be unique", path, lineno,
					f[0], auth_tokens[i].line);
		if (auth_tokens[i].len == strlen(f[2]) && memcmp(auth_tokens[i].secret, f[2], auth_tokens[i].len) == 0)
			return err_setf(ERR_INVALID_ARGUMENT, "%s line %u: the same secret as line %u; each "
					"token needs a secret of its own", path, lineno, auth_tokens[i].line);
	}
	snprintf(t->name, sizeof(t->name), "%s", f[0]);
	t->len = strlen(f[2]);
	memcpy(t->secret, f[2], t->len);
	t->line = lineno;
	auth_n++;
	return 0;
}

static int auth_read(const char *path, FILE *f)
{
	char line[AUTH_LINE_MAX];
	unsigned lineno = 0;
	int rc;

	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		lineno++;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n' && !feof(f))
			return err_setf(ERR_INVALID_ARGUMENT, "%s line %u is longer than %d bytes", path, lineno,
					AUTH_LINE_MAX - 2);
		if (line[strspn(line, " \t")] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if ((rc = auth_parse_line(path, lineno, line)) < 0)
			return rc;
	}
	return ferror(f) ? err_setf(ERR_INVALID_ARGUMENT, "%s: read error", path) : 0;
}

int auth_load(const char *path, bool loopback, bool loopback_anonymous, bool path_explicit)
{
	FILE *f;
	int fd, rc;

	auth_required = false;
	auth_n = 0;
	fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0) {
		int e = path ? errno : ENOENT;

		if (!loopback)
			return err_setf(ERR_INVALID_ARGUMENT,
					"rdpd listens beyond loopback, so it needs tokens, but %s cannot be read%s%s. "
					"Create it with lines 'NAME ROLE SECRET' (roles: read, operate, admin), "
					"mode 0600 or 0640 root:rdpd, or listen on 127.0.0.1.",
					path ? path : "(no --tokens file)", e == ENOENT ? "" : ": ",
					e == ENOENT ? "" : strerror(e));
		/* A tokens file set on purpose that exists but cannot be read
		 * is a mistake to stop at, not a reason to drop the tokens. */
		if (e != ENOENT && path_explicit)
			return err_setf(ERR_INVALID_ARGUMENT, "cannot read the tokens file %s: %s", path, strerror(e));
		if (e != ENOENT)
			log_notice("tokens: %s is not readable (%s); none loaded", path, strerror(e));
		return 0;
	}
	if ((rc = auth_check_file(path, fd)) < 0) {
		close(fd);
		return rc;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return err_setf(ERR_NO_MEMORY, "out of memory reading %s", path);
	}
	rc = auth_read(path, f);
	fclose(f);
	if (rc < 0) {
		auth_n = 0;
		return rc;
	}
	if (!loopback && auth_n == 0)
		return err_setf(ERR_INVALID_ARGUMENT, "%s has no tokens; add 'NAME ROLE SECRET' lines", path);
	/* Tokens configured are required everywhere, loopback included (a local
	 * user is not necessarily a trusted one), unless the admin says so. */
	auth_required = auth_n > 0 && !(loopback && loopback_anonymous);
	return 0;
}

bool auth_tokens_required(void)
{
	return auth_required;
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

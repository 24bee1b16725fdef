/*
 * err.c - the error table's lookups and the thread-local failure detail.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct err_row {
	int code;
	int http_status;
	const char *name;
	const char *title;
};

static const struct err_row err_rows[] = {
#define ERR_ROW_(e, v, http, name, title) {v, http, name, title},
	ERR_TABLE(ERR_ROW_)
#undef ERR_ROW_
};

static _Thread_local char err_detail_buf[ERR_DETAIL_MAX];

static const struct err_row *err_row_of(int rc)
{
	int code = rc < 0 ? -rc : rc;

	for (size_t i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++)
		if (err_rows[i].code == code)
			return &err_rows[i];
	return NULL;
}

int err_setf(enum err_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_detail_buf, sizeof(err_detail_buf), fmt, ap);
	va_end(ap);
	return -(int)code;
}

int err_context(int rc, const char *fmt, ...)
{
	char old[sizeof(err_detail_buf)];
	size_t n;
	va_list ap;

	if (rc >= 0)
		return rc;
	memcpy(old, err_detail_buf, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(err_detail_buf, sizeof(err_detail_buf), fmt, ap);
	va_end(ap);
	n = strlen(err_detail_buf);
	memcpy(err_detail_buf + n, old, sizeof(err_detail_buf) - n - 1);
	err_detail_buf[sizeof(err_detail_buf) - 1] = '\0';
	return rc;
}

const char *err_detail(void)
{
	return err_detail_buf;
}

void err_save(char saved[ERR_DETAIL_MAX])
{
	memcpy(saved, err_detail_buf, ERR_DETAIL_MAX);
}

void err_restore(const char *detail)
{
	if (detail != err_detail_buf)
		snprintf(err_detail_buf, sizeof(err_detail_buf), "%s", detail);
}

void err_clear(void)
{
	err_detail_buf[0] = '\0';
}

const char *err_name(int rc)
{
	const struct err_row *r = err_row_of(rc);

	return rc == 0 ? "ok" : r ? r->name : "unknown_error";
}

const char *err_title(int rc)
{
	const struct err_row *r = err_row_of(rc);

	return rc == 0 ? "Success" : r ? r->title : "Unknown error";
}

int err_http_status(int rc)
{
	const struct err_row *r = err_row_of(rc);

	return rc == 0 ? 200 : r ? r->http_status : 500;
}

int err_count(void)
{
	return (int)(sizeof(err_rows) / sizeof(err_rows[0]));
}

int err_code_at(int i)
{
	return i >= 0 && i < err_count() ? err_rows[i].code : 0;
}

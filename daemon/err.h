/*
 * err.h - rdpd's one error vocabulary.
 *
 * Every action returns 0 or -ERR_*; a human sentence saying what happened and
 * what to check travels with it in a thread-local detail set at the failure
 * site (err_setf) and is printed or serialised only at the boundary (the CLI,
 * the job runner, the API's problem+json). Codes are errno values where one
 * fits, else numbers from 1000 up.
 */
#ifndef RDPD_ERR_H
#define RDPD_ERR_H

#include <errno.h>

/* X(ENUM, value, http status, snake_case name, title) */
#define ERR_TABLE(X)                                                                         \
	X(ERR_INVALID_ARGUMENT, EINVAL, 400, "invalid_argument", "Invalid argument")         \
	X(ERR_NO_MEMORY, ENOMEM, 500, "no_memory", "Out of memory")                          \
	X(ERR_IO, EIO, 500, "io_error", "Input/output error")                                \
	X(ERR_PROBE_NOT_FOUND, 1000, 404, "probe_not_found", "Probe not found")              \
	X(ERR_PROBE_OPEN_FAILED, 1001, 503, "probe_open_failed", "Probe cannot be opened")   \
	X(ERR_PROBE_PERMISSION, 1002, 503, "probe_permission_denied", "No permission to use the probe") \
	X(ERR_PROBE_DISCONNECTED, 1003, 503, "probe_disconnected", "Probe disconnected")     \
	X(ERR_PROBE_TIMEOUT, 1004, 504, "probe_timeout", "Probe did not answer")             \
	X(ERR_PROBE_PROTOCOL, 1005, 502, "probe_protocol_error", "Probe sent a malformed reply") \
	X(ERR_PROBE_UNSUPPORTED, 1006, 501, "probe_unsupported", "Probe lacks a needed feature") \
	X(ERR_TARGET_NOT_RESPONDING, 1010, 502, "target_not_responding", "Target not responding") \
	X(ERR_TARGET_WAIT_TIMEOUT, 1011, 504, "target_wait_timeout", "Target stayed busy")    \
	X(ERR_TARGET_FAULT, 1012, 502, "target_fault", "Target refused a bus access")        \
	X(ERR_TARGET_UNKNOWN_CHIP, 1013, 422, "unknown_chip", "Chip not recognised")         \
	X(ERR_TARGET_HALT_FAILED, 1014, 502, "halt_failed", "Core did not halt")             \
	X(ERR_RDP_LEVEL2_PERMANENT, 1020, 409, "rdp_level2_permanent", "Chip is permanently locked (RDP level 2)") \
	X(ERR_FLASH_LOCKED, 1021, 502, "flash_locked", "Flash controller stayed locked")     \
	X(ERR_FLASH_ERROR, 1022, 502, "flash_error", "Flash controller reported an error")   \
	X(ERR_FLASH_TIMEOUT, 1023, 504, "flash_timeout", "Flash operation did not finish")   \
	X(ERR_VERIFY_FAILED, 1024, 502, "verify_failed", "Verification failed")              \
	X(ERR_NOT_SUPPORTED, 1025, 501, "not_supported", "Operation not supported for this chip") \
	X(ERR_CANCELLED, 1030, 409, "cancelled", "Cancelled")                                \
	X(ERR_PROBE_BUSY, 1031, 409, "probe_busy", "Probe busy")                             \
	X(ERR_NOT_FOUND, 1032, 404, "not_found", "Not found")                                \
	X(ERR_STATE_UNWRITABLE, 1033, 503, "state_not_writable", "State directory not writable") \
	X(ERR_SHUTTING_DOWN, 1034, 503, "shutting_down", "rdpd is shutting down")           \
	X(ERR_HTTP_METHOD_NOT_ALLOWED, 1040, 405, "method_not_allowed", "Method not allowed") \
	X(ERR_HTTP_HOST_NOT_ALLOWED, 1041, 421, "host_not_allowed", "Host not allowed")      \
	X(ERR_HTTP_UNAUTHORIZED, 1042, 401, "unauthorized", "Authentication required")       \
	X(ERR_HTTP_FORBIDDEN, 1043, 403, "forbidden", "Not allowed")                         \
	X(ERR_HTTP_CROSS_SITE, 1044, 403, "cross_site_request", "Cross-site request refused") \
	X(ERR_HTTP_MEDIA_TYPE, 1045, 415, "unsupported_media_type", "Unsupported media type") \
	X(ERR_HTTP_BODY_TOO_LARGE, 1046, 413, "body_too_large", "Request body too large")    \
	X(ERR_HTTP_MALFORMED, 1047, 400, "malformed_request", "Malformed HTTP request")      \
	X(ERR_HTTP_HEADERS_TOO_LARGE, 1048, 431, "headers_too_large", "Request headers too large") \
	X(ERR_HTTP_URI_TOO_LONG, 1049, 414, "uri_too_long", "Request target too long")       \
	X(ERR_HTTP_VERSION, 1050, 505, "http_version_not_supported", "HTTP version not supported") \
	X(ERR_JSON_INVALID, 1060, 400, "invalid_json", "Request body is not strict JSON")   \
	X(ERR_BODY_MEMBER, 1061, 400, "invalid_member", "Request body member not accepted") \
	X(ERR_PROBE_URI_INVALID, 1062, 400, "invalid_probe_uri", "Probe URI cannot work")  \
	X(ERR_PROBE_TABLE_FULL, 1063, 409, "probe_table_full", "No room for another probe") \
	X(ERR_PROBE_EXISTS, 1064, 409, "probe_exists", "Probe already listed")             \
	X(ERR_IDEMPOTENCY_MISMATCH, 1065, 422, "idempotency_key_reused", "Idempotency-Key belongs to another request") \
	X(ERR_HOLDER_FORBIDDEN, 1066, 403, "holder_not_allowed", "Lease holder not allowed") \
	X(ERR_ERASE_INTERRUPTED, 1085, 502, "erase_interrupted", "Mass erase cut short by a reset") \
	X(ERR_OPTIONS_INTERRUPTED, 1086, 502, "options_interrupted", "Option programming cut short by a reset") \
	X(ERR_PROBE_REF_AMBIGUOUS, 1070, 409, "probe_ref_ambiguous", "Probe reference is ambiguous") \
	X(ERR_CHIP_MISMATCH, 1071, 409, "chip_mismatch", "Chip is not the one expected")    \
	X(ERR_UID_UNREADABLE, 1072, 409, "uid_unreadable", "Chip's unique ID cannot be read") \
	X(ERR_JOB_ENDED, 1090, 409, "job_ended", "Job has already ended")                   \
	X(ERR_INTERNAL, 1099, 500, "internal_error", "Internal error")

enum err_code {
	ERR_OK = 0,
#define ERR_ENUM_(e, v, http, name, title) e = v,
	ERR_TABLE(ERR_ENUM_)
#undef ERR_ENUM_
};

/* The longest detail sentence kept, with its NUL: every copy of one that
 * must come back whole (err_save) is this size. */
#define ERR_DETAIL_MAX 768

/* Record DETAIL (printf-style) for the calling thread and return -CODE. */
int err_setf(enum err_code code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix the current detail with CONTEXT (e.g. "reading OPTCR: "); returns RC. */
int err_context(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The calling thread's last detail ("" when none). */
const char *err_detail(void);
void err_clear(void);
/* Keep the calling thread's detail in SAVED before cleanup code that may
 * set its own, and put it back with err_restore(SAVED): the failure that
 * matters keeps its sentence. */
void err_save(char saved[ERR_DETAIL_MAX]);
/* Put back a detail saved earlier (cleanup code must not clobber a failure). */
void err_restore(const char *detail);

/* Lookups by code; rc may be given negative (-ERR_X) or positive. */
const char *err_name(int rc);   /* "rdp_level2_permanent"; "unknown_error" */
const char *err_title(int rc);  /* "Chip is permanently locked (RDP level 2)" */
int err_http_status(int rc);    /* 409; 500 for unknown codes */
/* Iterate the table (tests walk every code). */
int err_count(void);
int err_code_at(int i);

#endif

/*
 * test_log.c - one log call is exactly one line, whatever the values in it:
 * a newline, a carriage return, other control bytes or ill-formed UTF-8 in a
 * URI, a lease holder or a DAP_Info string cannot forge a line of its own.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "utf8.h"

static char captured[65536];

/* Run the log calls of FN with stderr on a pipe; the text is in captured. */
static void capture(void (*fn)(void))
{
	int fds[2], saved = dup(STDERR_FILENO);
	ssize_t n;

	if (pipe(fds) < 0)
		abort();
	dup2(fds[1], STDERR_FILENO);
	close(fds[1]);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = read(fds[0], captured, sizeof(captured) - 1);
	captured[n > 0 ? n : 0] = '\0';
	close(fds[0]);
}

static const char *const hostile[] = {
	"ci\naudit: job 99 unlock of probe 1 (X) requested by admin",
	"tcp:10.0.0.1:4441\n<0>rdpd: emergency",
	"x\r<0>carriage return",
	"\x1b[2J\x1b[Hclear screen",
	"\xc0\xaf\xed\xa0\x80\xff",
	"tab\there\x7f",
};

static void log_hostile(void)
{
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		log_notice("probe %zu leased by %s for 60 s", i, hostile[i]);
}

TEST(one_call_one_line)
{
	unsigned lines = 0;

	capture(log_hostile);
	for (char *l = captured, *nl; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		CHECK(nl != NULL);
		if (!nl)
			break;
		*nl = '\0';
		lines++;
		/* Every line is ours: our prefix, then our words. */
		CHECK(strncmp(l, "<5>probe ", 9) == 0);
		CHECK(strstr(l, "leased by") != NULL);
		CHECK(strchr(l, '\r') == NULL && strchr(l, '\x1b') == NULL && strchr(l, '\x7f') == NULL);
		CHECK(utf8_valid((const uint8_t *)l, strlen(l)));
	}
	CHECK_EQ_U(lines, sizeof(hostile) / sizeof(hostile[0]));
}

static void log_specific(void)
{
	log_warn("--probe %s: no", "sim:x\naudit: forged");
}

TEST(escapes_are_visible)
{
	capture(log_specific);
	CHECK_STR(captured, "<4>--probe sim:x\\naudit: forged: no\n");
}

static void log_long(void)
{
	char big[3000];

	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_notice("%s", big);
	log_notice("after");
}

/* A message longer than the line buffer is cut, never split in two. */
TEST(long_message_stays_one_line)
{
	char *second;

	capture(log_long);
	second = strchr(captured, '\n');
	CHECK(second != NULL);
	if (second)
		CHECK_STR(second + 1, "<5>after\n");
}

int main(void)
{
	unsetenv("JOURNAL_STREAM");
	RUN(one_call_one_line);
	RUN(escapes_are_visible);
	RUN(long_message_stays_one_line);
	return check_summary();
}

/*
 * check.h - the smallest test harness that tells the truth.
 *
 * Each test program is a list of TEST(name) functions run by RUN(name) from
 * main(); CHECK() records a failure with file:line and goes on, so one run
 * shows every broken case of a table. main() ends with `return check_summary();`
 * which prints "<prog>: N passed, N failed" (one count per TEST) and returns
 * non-zero when anything failed. tests/run.sh adds the counts of all programs.
 */
#ifndef RDPD_CHECK_H
#define RDPD_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_tests_passed, check_tests_failed, check_current_failed;
static const char *check_current_name;

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "  FAIL %s:%d [%s]: %s\n", __FILE__, __LINE__, \
				check_current_name, #cond);                          \
			check_current_failed = 1;                                    \
		}                                                                    \
	} while (0)

#define CHECK_EQ_U(a, b)                                                             \
	do {                                                                         \
		unsigned long long check_a_ = (unsigned long long)(a);               \
		unsigned long long check_b_ = (unsigned long long)(b);               \
		if (check_a_ != check_b_) {                                          \
			fprintf(stderr, "  FAIL %s:%d [%s]: %s == %s (0x%llx != 0x%llx)\n", \
				__FILE__, __LINE__, check_current_name, #a, #b,      \
				check_a_, check_b_);                                 \
			check_current_failed = 1;                                    \
		}                                                                    \
	} while (0)

#define CHECK_EQ_I(a, b)                                                             \
	do {                                                                         \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);      \
		if (check_a_ != check_b_) {                                          \
			fprintf(stderr, "  FAIL %s:%d [%s]: %s == %s (%lld != %lld)\n", \
				__FILE__, __LINE__, check_current_name, #a, #b,      \
				check_a_, check_b_);                                 \
			check_current_failed = 1;                                    \
		}                                                                    \
	} while (0)

#define CHECK_STR(a, b)                                                              \
	do {                                                                         \
		const char *check_a_ = (a), *check_b_ = (b);                         \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {     \
			fprintf(stderr, "  FAIL %s:%d [%s]: %s == \"%s\" (got \"%s\")\n", \
				__FILE__, __LINE__, check_current_name, #a,          \
				check_b_ ? check_b_ : "(null)",                      \
				check_a_ ? check_a_ : "(null)");                     \
			check_current_failed = 1;                                    \
		}                                                                    \
	} while (0)

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                                    \
	do {                                                                         \
		check_current_name = #name;                                          \
		check_current_failed = 0;                                            \
		test_##name();                                                       \
		if (check_current_failed) {                                          \
			check_tests_failed++;                                        \
			fprintf(stderr, "not ok %s\n", #name);                       \
		} else {                                                             \
			check_tests_passed++;                                        \
			fprintf(stderr, "ok %s\n", #name);                           \
		}                                                                    \
	} while (0)

static inline int check_summary_named(const char *prog)
{
	printf("%s: %d passed, %d failed\n", prog, check_tests_passed, check_tests_failed);
	return check_tests_failed ? 1 : 0;
}

#define check_summary() check_summary_named(__FILE__)

#endif

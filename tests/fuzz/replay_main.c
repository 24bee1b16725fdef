/*
 * replay_main - run a fuzz target over every file of the given directories
 * (the kept corpus and crash inputs): the regression half of fuzzing, for
 * `make test`. Prints "<target>: N passed, N failed"; a crash is a failure
 * the test runner sees as a missing summary.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_targets.h"

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)(len > 0 ? len : 0));
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0;

	for (int a = 2; a < argc; a++) {
		DIR *d = opendir(argv[a]);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			char path[1024];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[a], e->d_name);
			if (replay_file(path) == 0)
				passed++;
			else
				failed++;
		}
		if (d)
			closedir(d);
	}
	printf("%s: %u passed, %u failed\n", argv[1], passed, failed);
	return failed != 0;
}

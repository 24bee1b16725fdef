/*
 * Request paths and methods against the route table: the first byte picks
 * the method, the rest is the (already percent-decoded) path.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "fuzz_targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "POST", "DELETE", "PUT", "HEAD"};
	struct api_req r = {0};
	char allow[64], *path;
	int i;

	if (size == 0)
		return 0;
	path = malloc(size);
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	r.method = methods[data[0] % 5];
	r.path = path;
	i = router_find(&r, allow, sizeof(allow));
	if (i >= 0)
		for (unsigned k = 0; k < r.n_params; k++)
			if (strlen(r.params[k]) == 0 || strlen(r.params[k]) > 128 || strchr(r.params[k], '/'))
				abort();
	free(path);
	return 0;
}

/* What a probe ref names (docs/probes.md), and probes.json surviving damage. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "err.h"
#include "probes/registry.h"
#include "probes/probe_store.h"

TEST(index_refs_are_canonical_decimal)
{
	static const struct {
		const char *ref;
		int index; /* -1: not an index */
	} cases[] = {
		{"0", 0},     {"7", 7},      {"12", 12},   {"63", 63},   {"64", -1},  {"00", -1},
		{"01", -1},   {"00000", -1}, {" 0", -1},   {"0 ", -1},   {"\t0", -1}, {"+0", -1},
		{"-0", -1},   {"0x0", -1},   {"", -1},     {"1e1", -1},  {"999", -1}, {"0.0", -1},
		{"١", -1},    {"99999999999999999999", -1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = -1;
		bool is = registry_ref_is_index(cases[i].ref, &got);

		if (is != (cases[i].index >= 0) || (is && got != cases[i].index))
			fprintf(stderr, "  ref \"%s\": %s %d\n", cases[i].ref, is ? "index" : "not an index", got);
		CHECK_EQ_I(is, cases[i].index >= 0);
		if (is)
			CHECK_EQ_I(got, cases[i].index);
	}
}

static struct access_identity reg_dap(const char *serial)
{
	struct access_identity d;

	memset(&d, 0, sizeof(d));
	snprintf(d.serial, sizeof(d.serial), "%s", serial);
	snprintf(d.product, sizeof(d.product), "DAPLink CMSIS-DAP");
	return d;
}

/* The registry is one table per process: this test owns it. */
TEST(a_shared_serial_is_no_ref)
{
	struct registry_candidate c[4];
	struct access_identity twin = reg_dap("TWIN");
	size_t n = 0;
	int a, b, p, got = -1;

	CHECK_EQ_I(registry_add("sim:stm32f401re-rdp1?serial=TWIN", false, &a), 0);
	CHECK_EQ_I(registry_add("sim:stm32f103c8-rdp1?serial=TWIN", false, &b), 0);
	registry_set_identity(a, &twin);
	registry_set_identity(b, &twin);
	CHECK_EQ_I(registry_resolve_ex("TWIN", &got, c, 4, &n), -ERR_PROBE_REF_AMBIGUOUS);
	CHECK_EQ_U(n, 2);
	CHECK_EQ_I(c[0].index, a);
	CHECK_EQ_I(c[1].index, b);
	CHECK_STR(c[1].uri, "sim:stm32f103c8-rdp1?serial=TWIN");
	CHECK(strstr(err_detail(), "sim:stm32f401re-rdp1?serial=TWIN") != NULL);
	/* The index and the URI still name each. */
	CHECK_EQ_I(registry_resolve("sim:stm32f103c8-rdp1?serial=TWIN", &got), 0);
	CHECK_EQ_I(got, b);
	CHECK_EQ_I(registry_resolve(a == 0 ? "0" : "1", &got), 0);
	CHECK_EQ_I(got, a);
	CHECK_EQ_I(registry_resolve("00", &got), -ERR_PROBE_NOT_FOUND);
	CHECK_EQ_I(registry_resolve("TWI", &got), -ERR_PROBE_NOT_FOUND);

	/* A serial one probe reports is a ref, unless a probe not opened yet
	 * could report it too. */
	{
		struct access_identity one = reg_dap("ONE");

		CHECK_EQ_I(registry_remove(b), 0);
		CHECK_EQ_I(registry_resolve("TWIN", &got), 0);
		CHECK_EQ_I(got, a);
		CHECK_EQ_I(registry_add("tcp:127.0.0.1:9", false, &p), 0);
		CHECK(p != b); /* B's index stays B's */
		CHECK_EQ_I(registry_resolve_ex("TWIN", &got, c, 4, &n), -ERR_PROBE_REF_AMBIGUOUS);
		CHECK(strstr(err_detail(), "not read yet") != NULL);
		registry_set_open_failed(p);
		CHECK_EQ_I(registry_resolve("TWIN", &got), 0);
		CHECK_EQ_I(got, a);
		registry_set_identity(p, &one);
		CHECK_EQ_I(registry_resolve("ONE", &got), 0);
		CHECK_EQ_I(got, p);
		/* B added again gets its own index back. */
		CHECK_EQ_I(registry_add("sim:stm32f103c8-rdp1?serial=TWIN", false, &got), 0);
		CHECK_EQ_I(got, b);
	}
}

static char store_dir[64];

static void store_write(const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/probes.json", store_dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static bool store_exists(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", store_dir, name);
	return access(path, F_OK) == 0;
}

TEST(probes_json_round_trip_and_damage)
{
	static struct probe_store s, back;

	snprintf(store_dir, sizeof(store_dir), "/tmp/rdpd-store-XXXXXX");
	CHECK(mkdtemp(store_dir) != NULL);
	memset(&s, 0, sizeof(s));
	s.n_known = 2;
	s.known[0] = (struct probe_store_known){.index = 3, .uri = "usb:0d28:0204@1-2", .serial = "S",
					       .location = "0d28:0204@1-2", .seen = 9};
	s.known[1] = (struct probe_store_known){.index = 0, .uri = "tcp:10.0.0.7:4441", .serial = "X", .seen = 2};
	s.n_added = 1;
	snprintf(s.added[0], sizeof(s.added[0]), "tcp:10.0.0.7:4441");
	CHECK_EQ_I(probe_store_save(store_dir, &s), 0);
	CHECK_EQ_I(probe_store_load(store_dir, &back), 0);
	CHECK_EQ_U(back.n_known, 2);
	CHECK_EQ_I(back.known[0].index, 3);
	CHECK_STR(back.known[0].location, "0d28:0204@1-2");
	CHECK_EQ_U(back.known[0].seen, 9);
	CHECK_STR(back.known[1].uri, "tcp:10.0.0.7:4441");
	CHECK_EQ_U(back.n_added, 1);
	CHECK(!store_exists("probes.json.tmp"));

	/* Damaged twice: each copy set aside under its own name, rdpd's memory empty. */
	store_write("{\"version\": 2, \"added\": [], \"probes\": [{\"index\": 1, \"uri\": \"sim:a\"}, "
		    "{\"index\": 1, \"uri\": \"sim:b\"}]}");
	CHECK_EQ_I(probe_store_load(store_dir, &back), 0);
	CHECK_EQ_U(back.n_known + back.n_added, 0);
	CHECK(store_exists("probes.json.corrupt.1"));
	CHECK(!store_exists("probes.json"));
	store_write("[\"sim:a\", 7]");
	CHECK_EQ_I(probe_store_load(store_dir, &back), 0);
	CHECK(store_exists("probes.json.corrupt.2"));
	/* Version 1, a plain list, is the added probes. */
	store_write("[\"sim:a\", \"tcp:b:1\"]");
	CHECK_EQ_I(probe_store_load(store_dir, &back), 0);
	CHECK_EQ_U(back.n_added, 2);
	CHECK(!store_exists("probes.json.corrupt.3"));
	for (const char *const *f = (const char *const[]){"probes.json", "probes.json.corrupt.1",
							    "probes.json.corrupt.2", NULL}; *f; f++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/%s", store_dir, *f);
		unlink(path);
	}
	rmdir(store_dir);
}

int main(void)
{
	RUN(index_refs_are_canonical_decimal);
	RUN(a_shared_serial_is_no_ref);
	RUN(probes_json_round_trip_and_damage);
	return check_summary();
}

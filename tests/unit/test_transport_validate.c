/*
 * test_transport_validate.c - transport_validate_uri(): what can never name
 * a probe is refused before it is kept anywhere, by the backend that serves
 * the scheme, with a sentence; what can is accepted, without any I/O.
 */
#include <stdlib.h>

#include "check.h"
#include "err.h"
#include "transport/transport.h"

struct uri_case {
	const char *uri;
	bool ok;
	const char *needle; /* in the sentence of a refusal */
};

static const struct uri_case uri_cases[] = {
	/* uri                                          ok     needle */
	{"tcp:192.168.1.50:4441",                       true,  NULL},
	{"tcp:192.168.1.50",                            true,  NULL},
	{"tcp:probe-3.lab.example.com:4441",            true,  NULL},
	{"tcp:localhost:1",                             true,  NULL},
	{"tcp:127.0.0.1:65535",                         true,  NULL},
	{"tcp:[::1]:4441",                              true,  NULL},
	{"tcp:[::1]",                                   true,  NULL},
	{"tcp:[fe80::1%eth0]:4441",                     true,  NULL},
	{"tcp:HOST:0",                                  false, "1 to 65535"},
	{"tcp:HOST:65536",                              false, "1 to 65535"},
	{"tcp:HOST:04441",                              false, "1 to 65535"},
	{"tcp:HOST:+4441",                              false, "1 to 65535"},
	{"tcp:HOST:44a1",                               false, "1 to 65535"},
	{"tcp:HOST:",                                   false, "1 to 65535"},
	{"tcp:[::1]:99999",                             false, "1 to 65535"},
	{"tcp::4441",                                   false, "no host"},
	{"tcp:",                                        false, "no host"},
	{"tcp:[]:4441",                                 false, "no host"},
	{"tcp:[::1",                                    false, "']'"},
	{"tcp:[::1]x",                                  false, "']'"},
	{"tcp:[nothex]:4441",                           false, "IPv6"},
	{"tcp:::1:4441",                                false, "brackets"},
	{"tcp:a..b:4441",                               false, "host"},
	{"tcp:.lab:4441",                               false, "host"},
	{"tcp:a/b:4441",                                false, "host"},
	{"tcp:user@host:4441",                          false, "host"},
	{"sim:stm32f401re-rdp1",                        true,  NULL},
	{"sim:stm32l552ze-rdp0.5",                      true,  NULL},
	{"sim:stm32f401re-rdp1?time_scale=0.001&serial=PAR1", true, NULL},
	{"sim:stm32f401re-rdp1?latency_us=1000&packet_size=512&packet_count=8", true, NULL},
	{"sim:../../etc/passwd",                        false, "no simulator profile"},
	{"sim:nosuchprofile",                           false, "no simulator profile"},
	{"sim:",                                        false, "no profile"},
	{"sim:?time_scale=1",                           false, "no profile"},
	{"sim:stm32f401re-rdp1?",                       false, "empty option"},
	{"sim:stm32f401re-rdp1?time_scale=1&",          false, "empty option"},
	{"sim:stm32f401re-rdp1?bogus=1",                false, "bogus=1"},
	{"sim:stm32f401re-rdp1?time_scale",             false, "=value"},
	{"sim:stm32f401re-rdp1?time_scale=0",           false, "time_scale=0"},
	{"sim:stm32f401re-rdp1?time_scale=-1",          false, "time_scale=-1"},
	{"sim:stm32f401re-rdp1?time_scale=inf",         false, "time_scale=inf"},
	{"sim:stm32f401re-rdp1?time_scale=nan",         false, "time_scale=nan"},
	{"sim:stm32f401re-rdp1?time_scale=1e3",         false, "time_scale=1e3"},
	{"sim:stm32f401re-rdp1?time_scale=5000",        false, "time_scale=5000"},
	{"sim:stm32f401re-rdp1?time_scale=1&time_scale=2", false, "twice"},
	{"sim:stm32f401re-rdp1?latency_us=1.5",         false, "latency_us=1.5"},
	{"sim:stm32f401re-rdp1?packet_size=63",         false, "packet_size=63"},
	{"sim:stm32f401re-rdp1?packet_size=2048",       false, "packet_size=2048"},
	{"sim:stm32f401re-rdp1?packet_count=0",         false, "packet_count=0"},
	{"sim:stm32f401re-rdp1?packet_count=9",         false, "packet_count=9"},
	{"sim:stm32f401re-rdp1?serial=",                false, "serial="},
	{"sim:stm32f401re-rdp1?serial=a/b",             false, "serial=a/b"},
	{"sim:stm32f401re-rdp1?serial=a%0Ab",           false, "serial=a%0Ab"},
	{"sim:stm32f401re-rdp1?probe=stlink-v2-1",      true,  NULL},
	{"sim:stm32f401re-rdp1?probe=stlink-v3&firmware=V3J15M7&target_mv=3300", true, NULL},
	{"sim:stm32f401re-rdp1?probe=jlink",            false, "probe=jlink"},
	{"sim:stm32f401re-rdp1?probe=stlink-v2&probe=daplink", false, "twice"},
	{"sim:stm32f401re-rdp1?firmware=V4J1",          false, "firmware=V4J1"},
	{"sim:stm32f401re-rdp1?firmware=V2J",           false, "firmware=V2J"},
	{"sim:stm32f401re-rdp1?firmware=V2J37S7%00",    false, "firmware=V2J37S7%00"},
	{"sim:stm32f401re-rdp1?target_mv=0",            false, "target_mv=0"},
	{"sim:stm32f401re-rdp1?target_mv=5001",         false, "target_mv=5001"},
	{"usb:",                                        true,  NULL},
	{"usb:0240000034544e45001b00038e3e000b",        true,  NULL},
	{"usb:0d28:0204@1-2.3",                         true,  NULL},
	{"usb:0D28:0204@3-1",                           true,  NULL},
	{"usb:0d28:0204@1-2.3.4.5.6.7",                 true,  NULL},
	{"usb:0d28:0204@1-",                            false, "BUS-PORTS"},
	{"usb:0d28:0204@1-2.",                          false, "BUS-PORTS"},
	{"usb:0d28:0204@1-2..3",                        false, "BUS-PORTS"},
	{"usb:0d28:0204@x-2",                           false, "BUS-PORTS"},
	{"usb:0d28:0204@1-2.3.4.5.6.7.8",               false, "BUS-PORTS"},
	{"usb: SERIAL",                                 false, "spaces"},
	{"nope:x",                                      false, "not a probe URI"},
	{"bogus",                                       false, "not a probe URI"},
	{":x",                                          false, "not a probe URI"},
	{"",                                            false, "no probe URI"},
	{"tcp:10.0.0.1:4441\n<0>x",                     false, "printable ASCII"},
	{"sim:stm32f401re-rdp1\naudit: x",              false, "printable ASCII"},
	{"tcp:caf\xc3\xa9:4441",                        false, "printable ASCII"},
	{"tcp:\xc0\xaf:4441",                           false, "printable ASCII"},
	{"sim:stm32f401re-rdp1\x7f",                    false, "printable ASCII"},
};

TEST(uri_table)
{
	for (size_t i = 0; i < sizeof(uri_cases) / sizeof(uri_cases[0]); i++) {
		const struct uri_case *c = &uri_cases[i];
		int rc;

		err_clear();
		rc = transport_validate_uri(c->uri);
		if ((rc == 0) != c->ok || (!c->ok && rc != -ERR_PROBE_URI_INVALID) ||
		    (c->needle && !strstr(err_detail(), c->needle))) {
			fprintf(stderr, "  '%s': rc %d, detail '%s'\n", c->uri, rc, err_detail());
			CHECK(false);
		}
	}
}

/* A 10 KB URI is refused for its length, in a sentence that says so. */
TEST(long_uri)
{
	char *uri = malloc(10241);

	memcpy(uri, "tcp:", 4);
	memset(uri + 4, 'a', 10236);
	uri[10240] = '\0';
	CHECK_EQ_I(transport_validate_uri(uri), -ERR_PROBE_URI_INVALID);
	CHECK(strstr(err_detail(), "10240 bytes long") != NULL);
	CHECK(strstr(err_detail(), "at most 191 bytes") != NULL);
	CHECK_EQ_I(transport_validate_uri(NULL), -ERR_PROBE_URI_INVALID);
	free(uri);
}

/* Each kind of the table says what layers above need of it: a name of its
 * own, a scheme, how its URIs are written (in that scheme), and whether a
 * client may add it. A kind found by enumerate is listed by itself, so a
 * client never adds one; the simulator's kinds are added. */
TEST(every_kind_describes_itself)
{
	CHECK(transport_kind_count() > 0);
	CHECK(transport_kind_at(transport_kind_count()) == NULL);
	for (size_t i = 0; i < transport_kind_count(); i++) {
		const struct transport_ops *k = transport_kind_at(i);
		size_t sl = strlen(k->scheme);

		CHECK(k->name && *k->name && sl > 0 && !strchr(k->scheme, ':'));
		CHECK(k->uri_form && strncmp(k->uri_form, k->scheme, sl) == 0 && k->uri_form[sl] == ':');
		CHECK(!(k->enumerate && k->api_addable));
		CHECK(!k->simulated || k->api_addable);
		CHECK(transport_kind_of_uri(k->uri_form) != NULL);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(transport_kind_at(j)->name, k->name) != 0);
		if (check_current_failed) {
			fprintf(stderr, "  (kind %s)\n", k->name);
			return;
		}
	}
}

/* What a URI is listed as before it is opened, and the sentences that
 * teach URIs, built from the table: every scheme once, in its order. */
TEST(kinds_and_forms_from_the_table)
{
	char forms[160];

	CHECK_STR(transport_kind_name_of_uri("tcp:10.0.0.1:4441"), "tcp");
	CHECK_STR(transport_kind_name_of_uri("sim:stm32f401re-rdp1"), "sim");
	CHECK_STR(transport_kind_name_of_uri("usb:0240000034544e45"), "usb"); /* bulk or HID */
	CHECK(transport_kind_name_of_uri("nope:x") == NULL);
	CHECK(transport_kind_name_of_uri("bogus") == NULL);
	CHECK_STR(transport_uri_forms(forms, sizeof(forms), false), "usb:SERIAL, tcp:HOST:PORT or sim:PROFILE");
	CHECK_STR(transport_uri_forms(forms, sizeof(forms), true), "tcp:HOST:PORT or sim:PROFILE");
	transport_validate_uri("nope:x");
	CHECK(strstr(err_detail(), "use usb:SERIAL, tcp:HOST:PORT or sim:PROFILE") != NULL);
	transport_validate_uri("");
	CHECK(strstr(err_detail(), "use tcp:HOST:PORT or sim:PROFILE") != NULL);
	CHECK_EQ_I(transport_check_addable("tcp:10.0.0.1:4441"), 0);
	CHECK_EQ_I(transport_check_addable("sim:stm32f401re-rdp1"), 0);
	CHECK_EQ_I(transport_check_addable("nope:x"), 0); /* transport_validate_uri's to refuse */
	CHECK_EQ_I(transport_check_addable("usb:0240000034544e45"), -ERR_PROBE_URI_INVALID);
	CHECK(strstr(err_detail(), "plugged in") && strstr(err_detail(), "tcp:HOST:PORT or sim:PROFILE"));
}

int main(void)
{
	RUN(uri_table);
	RUN(long_uri);
	RUN(every_kind_describes_itself);
	RUN(kinds_and_forms_from_the_table);
	return check_summary();
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer: every POST body parser, and the service that runs on it.
 * The first byte picks the resource, the rest is the request body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "topo/load.h"
#include "alto/request.h"
#include "alto/service.h"

static const char *MAPS = "network-maps:\n"
                          "  m:\n"
                          "    pids:\n"
                          "      PID1: {ipv4: [192.0.2.0/24, 198.51.100.0/25]}\n"
                          "      PID2: {ipv4: [198.51.100.128/25], ipv6: ['2001:db8::/32']}\n"
                          "      PID3: {ipv4: [0.0.0.0/0], ipv6: ['::/0']}\n"
                          "cost-maps:\n"
                          "  m:\n"
                          "    routingcost: {PID1: {PID1: 1, PID2: 5, PID3: 10}, PID2: {PID1: 5, PID2: 1}}\n"
                          "    bw-available: {PID1: {PID2: 100, PID3: 10}}\n";

static struct topo *T;
static struct catalog *C;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *names[] = {"maps.yaml"};
	const char *texts[] = {MAPS};
	struct diag d;
	diag_init(&d);
	if (topo_load_mem(names, texts, 1, &T, &d) != 0 || catalog_build_topo(T, &C, &d) != 0)
		abort();
	diag_free(&d);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *uris[] = {"/networkmap/m/filtered", "/costmap/m/filtered", "/endpointprop",
	                             "/endpointcost/m"};
	if (size < 1)
		return 0;
	const struct resource *r = catalog_route(C, uris[data[0] % 4]);
	struct endpoint client = {.text = "ipv4:192.0.2.7", .family = IP_V4, .addr = {192, 0, 2, 7}};
	struct request_limits lim = {64, 4096, 64, 32, 64};
	struct request req;
	struct alto_error err = {0};
	if (request_parse(r, C, (const char *)data + 1, size - 1, &client, &lim, &req, &err) == 0) {
		size_t len;
		free(service_run(r, &req, &len));
	} else {
		size_t len;
		free(alto_error_render(&err, &len));
	}
	alto_error_clear(&err);
	request_free(&req);
	return 0;
}

/* Route matching on arbitrary paths: input is "pattern\npath". */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "api/router.h"
#include "api/request.h"
#include "base/alloc.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *nl, *params[ROUTE_MAX_PARAMS];
	unsigned n = 0;
	unsigned nroutes;
	const struct route *routes = router_routes(&nroutes);

	if (size > 4096)
		return 0;
	copy = mem_alloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	nl = strchr(copy, '\n');
	if (nl) {
		*nl = '\0';
		if (route_match(copy, nl + 1, params, &n) > 0)
			for (unsigned i = 0; i < n; i++)
				mem_free(params[i]);
	}
	for (unsigned i = 0; i < nroutes; i++) {
		n = 0;
		if (route_match(routes[i].pattern, copy, params, &n) > 0)
			for (unsigned k = 0; k < n; k++)
				mem_free(params[k]);
	}
	mem_free(copy);
	return 0;
}

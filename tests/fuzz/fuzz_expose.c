/* libFuzzer harness for the agent's exposure filter: the input's first line is an `expose`
 * value, the rest a packet from the tunnel. Parsing and checking must stay in bounds and always
 * give a known verdict. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/expose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char value[EXPOSE_VALUE_MAX + 2];
	size_t vlen = nl ? (size_t)(nl - data) : 0;
	struct expose ex;
	char why[96];
	uint8_t *pkt;
	size_t plen;

	if (vlen >= sizeof(value))
		vlen = sizeof(value) - 1;
	memcpy(value, data, vlen);
	value[vlen] = '\0';
	if (expose_parse(&ex, value, why, sizeof(why)) &&
	    expose_parse(&ex, "80,443,udp/161", why, sizeof(why)))
		abort();
	if (ex.ntcp > EXPOSE_MAX_ITEMS || ex.nudp > EXPOSE_MAX_ITEMS)
		abort();

	/* a copy of exactly the packet's size, so that ASan sees any read past its end */
	plen = nl ? size - (size_t)(nl - data) - 1 : size;
	pkt = malloc(plen ? plen : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, nl ? nl + 1 : data, plen);
	if ((unsigned int)expose_check(&ex, pkt, plen) >= EXPOSE_VERDICT_COUNT)
		abort();
	free(pkt);
	return 0;
}

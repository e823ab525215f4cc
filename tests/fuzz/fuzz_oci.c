// SPDX-License-Identifier: GPL-2.0-or-later
/* OCI bundle config.json: its annotations come from pod specs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container c;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	oci_parse_config(text, "fuzz", &c);
	free(text);
	return 0;
}

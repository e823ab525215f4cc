// SPDX-License-Identifier: GPL-2.0-or-later
/* A ClientHello stream, whole and fed segment by segment through the
 * reassembly buffer (the first byte sets the segment size). */
#include <stdint.h>
#include <errno.h>
#include <stddef.h>

#include "egressd/reasm.h"
#include "egressd/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_hello h;
	struct reasm r = { 0 };
	size_t seg, off = 0;

	if (!size)
		return 0;
	seg = (size_t)data[0] * 8 + 1;
	data++, size--;
	tls_parse_client_hello(data, size, &h);
	reasm_add(&r, 1000, true, NULL, 0);
	while (off < size) {
		size_t n = size - off < seg ? size - off : seg;
		if (reasm_add(&r, 1001 + (uint32_t)off, false, data + off, n) < 0)
			break;
		off += n;
		if (tls_parse_client_hello(r.buf, r.len, &h) != -EAGAIN)
			break;
	}
	reasm_free(&r);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* A ClientHello stream, whole and fed segment by segment through the
 * reassembly buffer (the first byte sets the segment size).
 * Invariant: the parser's answer does not depend on where the stream is
 * cut. Every prefix either asks for more (-EAGAIN) or gives exactly what
 * the whole stream gives: the same result, names, ALPN and ECH.
 * (A hello split at any byte must name the same server.) */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "egressd/reasm.h"
#include "egressd/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static bool same(const struct tls_hello *a, const struct tls_hello *b)
{
	/* Not stream_len: a hello complete inside a record that is not is
	 * said to take the bytes of the record seen so far. */
	if (a->nsni != b->nsni || a->ech != b->ech || a->n_alpn != b->n_alpn ||
	    a->tls13 != b->tls13)
		return false;
	for (unsigned i = 0; i < a->nsni; i++)
		if (strcmp(a->sni_names[i], b->sni_names[i]))
			return false;
	for (unsigned i = 0; i < a->n_alpn; i++)
		if (strcmp(a->alpn[i], b->alpn[i]))
			return false;
	return true;
}

/* Every cut for short streams; for long ones 1024 spread cuts and the
 * last 64 bytes, where a hello ends. */
static void cuts(const uint8_t *data, size_t size, int whole,
		 const struct tls_hello *hw)
{
	static struct tls_hello h;
	size_t step = size <= 1024 ? 1 : size / 1024;

	for (size_t k = 0; k < size; k += (k + 64 >= size ? 1 : step)) {
		int r = tls_parse_client_hello(data, k, &h);
		if (r == -EAGAIN)
			continue;
		CHECK(r == whole);
		CHECK(r || same(&h, hw));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_hello hw, h;
	struct reasm r = { 0 };
	size_t seg, off = 0;
	int whole;

	if (!size)
		return 0;
	seg = (size_t)data[0] * 8 + 1;
	data++, size--;
	whole = tls_parse_client_hello(data, size, &hw);
	CHECK(whole == 0 || whole == -EAGAIN || whole == -EBADMSG ||
	      whole == -E2BIG);
	CHECK(whole || (hw.nsni <= TLS_SNI_MAX && hw.has_sni == (hw.nsni > 0) &&
			hw.stream_len <= size));
	cuts(data, size, whole, &hw);
	reasm_add(&r, 1000, true, NULL, 0);
	while (off < size) {
		size_t n = size - off < seg ? size - off : seg;
		if (reasm_add(&r, 1001 + (uint32_t)off, false, data + off, n) < 0)
			break;
		off += n;
		int rr = tls_parse_client_hello(r.buf, r.len, &h);
		if (rr == -EAGAIN)
			continue;
		/* the buffer holds a prefix of the stream: the same answer */
		CHECK(rr == whole && (rr || same(&h, &hw)));
		break;
	}
	reasm_free(&r);
	return 0;
}

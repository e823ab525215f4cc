// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/reasm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/limits.h"

static int reserve(struct reasm *r, size_t need)
{
	size_t cap = r->cap ? r->cap : 2048;
	uint8_t *p;

	if (need <= r->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > REASM_MAX)
		cap = REASM_MAX;
	p = realloc(r->buf, cap);
	if (!p)
		return -ENOMEM;
	r->buf = p;
	r->cap = cap;
	return 0;
}

int reasm_add(struct reasm *r, uint32_t seq, bool syn, const uint8_t *data,
	      size_t len)
{
	int32_t off;
	size_t room;

	if (syn) {
		r->started = true;
		r->next_seq = seq + 1;
		return 0;
	}
	if (!len)
		return 0;
	if (!r->started) {
		r->started = true;
		r->next_seq = seq;
	}
	/* Serial arithmetic: the difference is signed across wrap-around. */
	off = (int32_t)(seq - r->next_seq);
	if (off > 0)
		return -EAGAIN;
	if ((size_t)-(int64_t)off >= len)
		return 0; /* all old bytes */
	data += -(int64_t)off;
	len -= (size_t)-(int64_t)off;
	room = REASM_MAX - r->len;
	if (!room)
		return -E2BIG;
	if (len > room)
		len = room;
	if (reserve(r, r->len + len))
		return -ENOMEM;
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	r->next_seq += (uint32_t)len;
	return r->len == REASM_MAX ? -E2BIG : 0;
}

void reasm_consume(struct reasm *r, size_t n)
{
	if (n >= r->len) {
		r->len = 0;
		return;
	}
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
}

void reasm_free(struct reasm *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

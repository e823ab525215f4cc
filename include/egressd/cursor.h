/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A bounds-checked read cursor over untrusted bytes. Every read of packet or
 * file bytes goes through it; the one bounds check lives in cursor_need().
 * Reads return 0 or -EMSGSIZE (not enough bytes left) and write their
 * out-parameter only on success. */
#pragma once
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *base;
	size_t len;
	size_t pos;
};

static inline void cursor_init(struct cursor *c, const void *p, size_t len)
{
	c->base = p;
	c->len = p ? len : 0;
	c->pos = 0;
}

static inline size_t cursor_left(const struct cursor *c)
{
	return c->len - c->pos;
}

static inline int cursor_need(const struct cursor *c, size_t n)
{
	return cursor_left(c) >= n ? 0 : -EMSGSIZE;
}

static inline const uint8_t *cursor_ptr(const struct cursor *c)
{
	return c->base + c->pos;
}

static inline int cursor_skip(struct cursor *c, size_t n)
{
	if (cursor_need(c, n))
		return -EMSGSIZE;
	c->pos += n;
	return 0;
}

static inline int cursor_u8(struct cursor *c, uint8_t *ret)
{
	if (cursor_need(c, 1))
		return -EMSGSIZE;
	*ret = c->base[c->pos++];
	return 0;
}

static inline int cursor_u16(struct cursor *c, uint16_t *ret)
{
	if (cursor_need(c, 2))
		return -EMSGSIZE;
	*ret = (uint16_t)(c->base[c->pos] << 8 | c->base[c->pos + 1]);
	c->pos += 2;
	return 0;
}

static inline int cursor_u32(struct cursor *c, uint32_t *ret)
{
	if (cursor_need(c, 4))
		return -EMSGSIZE;
	const uint8_t *p = c->base + c->pos;
	*ret = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
	c->pos += 4;
	return 0;
}

/* Points *ret at the next n bytes (no copy) and advances. */
static inline int cursor_bytes(struct cursor *c, size_t n, const uint8_t **ret)
{
	if (cursor_need(c, n))
		return -EMSGSIZE;
	*ret = c->base + c->pos;
	c->pos += n;
	return 0;
}

/* A child cursor over the next n bytes (a length-prefixed block); the parent
 * moves past them. Reads in the child can never leave the block. */
static inline int cursor_sub(struct cursor *c, size_t n, struct cursor *ret)
{
	const uint8_t *p;
	if (cursor_bytes(c, n, &p))
		return -EMSGSIZE;
	cursor_init(ret, p, n);
	return 0;
}

/* A child cursor over a block whose length is a big-endian prefix of
 * `width` bytes (1, 2 or 3). On failure the parent does not move. */
static inline int cursor_sub_prefixed(struct cursor *c, unsigned width,
				      struct cursor *ret)
{
	size_t save = c->pos, n = 0;
	uint8_t b;

	for (unsigned i = 0; i < width; i++) {
		if (cursor_u8(c, &b))
			goto fail;
		n = n << 8 | b;
	}
	if (cursor_sub(c, n, ret))
		goto fail;
	return 0;
fail:
	c->pos = save;
	return -EMSGSIZE;
}

static inline int cursor_sub8(struct cursor *c, struct cursor *ret)
{
	return cursor_sub_prefixed(c, 1, ret);
}

static inline int cursor_sub16(struct cursor *c, struct cursor *ret)
{
	return cursor_sub_prefixed(c, 2, ret);
}

static inline int cursor_sub24(struct cursor *c, struct cursor *ret)
{
	return cursor_sub_prefixed(c, 3, ret);
}

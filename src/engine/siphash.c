// SPDX-License-Identifier: GPL-2.0-or-later
/* SipHash-c-d, written from the paper ("SipHash: a fast short-input PRF",
 * 2012): four 64-bit words of state, the message in little-endian 8-byte
 * words, the last one holding the length's low byte at the top. */
#include "egressd/siphash.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

struct sip_state {
	uint64_t v0, v1, v2, v3;
};

static inline void sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl(s->v2, 32);
}

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t x = 0;

	for (int i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

static inline void absorb(struct sip_state *s, uint64_t m, int c)
{
	s->v3 ^= m;
	for (int i = 0; i < c; i++)
		sip_round(s);
	s->v0 ^= m;
}

uint64_t sip_hash_cd(const struct sip_key *k, const void *data, size_t len,
		     int c, int d)
{
	struct sip_state s = {
		k->k0 ^ 0x736f6d6570736575ull, k->k1 ^ 0x646f72616e646f6dull,
		k->k0 ^ 0x6c7967656e657261ull, k->k1 ^ 0x7465646279746573ull,
	};
	const uint8_t *p = data;
	uint8_t tail[8] = { 0 };
	size_t n = len & ~(size_t)7;

	for (size_t i = 0; i < n; i += 8)
		absorb(&s, le64(p + i), c);
	memcpy(tail, p + n, len - n);
	absorb(&s, le64(tail) | (uint64_t)(len & 0xff) << 56, c);
	s.v2 ^= 0xff;
	for (int i = 0; i < d; i++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint64_t sip_hash(const struct sip_key *k, const void *data, size_t len)
{
	return sip_hash_cd(k, data, len, 1, 3);
}

void sip_key_new(struct sip_key *k)
{
	struct timespec ts;
	static int salt;

	if (getrandom(k, sizeof(*k), GRND_NONBLOCK) == (ssize_t)sizeof(*k))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	k->k0 = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^
		(uint64_t)(uintptr_t)k;
	k->k1 = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&salt ^
		(uint64_t)++salt << 32;
}

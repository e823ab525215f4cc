/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SipHash (Aumasson and Bernstein): a keyed hash for the tables whose keys
 * a container chooses (its flows' ports and addresses, the addresses its
 * own resolver answers). With a fixed hash a container can pick keys that
 * all fall in one bucket and make every lookup on the packet path walk
 * them; with a secret random key per table it cannot know which do.
 * SipHash-1-3 (one round per word, three at the end) is what Python and
 * Rust use for the same purpose. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct sip_key {
	uint64_t k0, k1;
};

/* A fresh secret key (getrandom; never fails: without entropy yet, the
 * clock and addresses, which still differ per table and run). */
void sip_key_new(struct sip_key *k);
/* SipHash-1-3 of len bytes. */
uint64_t sip_hash(const struct sip_key *k, const void *data, size_t len);
/* SipHash-c-d, for the test vectors (SipHash-2-4). */
uint64_t sip_hash_cd(const struct sip_key *k, const void *data, size_t len,
		     int c, int d);

/* map.c - a hash map from byte strings to pointers (linear probing, backward-shift delete). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

/*
 * The daemon keys its marks by file handle and its snapshots and pending events by path:
 * byte strings of a few dozen to 4096 bytes. Keys are copied in. The seed makes bucket
 * positions unpredictable to a process that chooses file names (hash flooding). The
 * table stays at most half full; deletion shifts later entries back instead of leaving
 * tombstones, so a long-running daemon's probes never lengthen.
 */

struct fh_map_slot {
	uint64_t hash; /* 0: empty */
	void *key;
	size_t len;
	void *value;
};

static uint64_t hash_bytes(uint64_t seed, const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = seed ^ 0x9e3779b97f4a7c15ull ^ len;

	/* FNV-1a then a murmur finaliser: fast for short keys, well mixed. */
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h ? h : 1;
}

void fh_map_init(struct fh_map *m, uint64_t seed)
{
	memset(m, 0, sizeof(*m));
	m->seed = seed;
}

static int grow(struct fh_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct fh_map_slot *s = calloc(cap, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->slots[i].hash)
			continue;
		for (j = m->slots[i].hash & (cap - 1); s[j].hash; j = (j + 1) & (cap - 1))
			;
		s[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = s;
	m->cap = cap;
	return 0;
}

static size_t find(const struct fh_map *m, const void *key, size_t len, uint64_t h)
{
	for (size_t j = h & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
		const struct fh_map_slot *s = &m->slots[j];

		if (!s->hash)
			return SIZE_MAX;
		if (s->hash == h && s->len == len && !memcmp(s->key, key, len))
			return j;
	}
}

void *fh_map_get(const struct fh_map *m, const void *key, size_t len)
{
	size_t j;

	if (!m->count)
		return NULL;
	j = find(m, key, len, hash_bytes(m->seed, key, len));
	return j == SIZE_MAX ? NULL : m->slots[j].value;
}

int fh_map_put(struct fh_map *m, const void *key, size_t len, void *value, void **ret_old)
{
	uint64_t h = hash_bytes(m->seed, key, len);
	size_t j;
	void *copy;

	if (m->count) {
		j = find(m, key, len, h);
		if (j != SIZE_MAX) {
			if (ret_old)
				*ret_old = m->slots[j].value;
			m->slots[j].value = value;
			return 0;
		}
	}
	if ((m->count + 1) * 2 > m->cap && grow(m) < 0)
		return -ENOMEM;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, key, len);
	for (j = h & (m->cap - 1); m->slots[j].hash; j = (j + 1) & (m->cap - 1))
		;
	m->slots[j] = (struct fh_map_slot){ h, copy, len, value };
	m->count++;
	if (ret_old)
		*ret_old = NULL;
	return 0;
}

void *fh_map_del(struct fh_map *m, const void *key, size_t len)
{
	size_t j, k;
	void *value;

	if (!m->count)
		return NULL;
	j = find(m, key, len, hash_bytes(m->seed, key, len));
	if (j == SIZE_MAX)
		return NULL;
	value = m->slots[j].value;
	free(m->slots[j].key);
	m->slots[j].hash = 0;
	m->count--;
	/* Shift back every later entry of the run that would no longer be reachable. */
	for (k = (j + 1) & (m->cap - 1); m->slots[k].hash; k = (k + 1) & (m->cap - 1)) {
		size_t home = m->slots[k].hash & (m->cap - 1);

		if ((k > j && (home <= j || home > k)) || (k < j && home <= j && home > k)) {
			m->slots[j] = m->slots[k];
			m->slots[k].hash = 0;
			j = k;
		}
	}
	return value;
}

bool fh_map_next(const struct fh_map *m, size_t *iter, const void **ret_key, size_t *ret_len,
		 void **ret_value)
{
	for (; *iter < m->cap; (*iter)++) {
		const struct fh_map_slot *s = &m->slots[*iter];

		if (!s->hash)
			continue;
		if (ret_key)
			*ret_key = s->key;
		if (ret_len)
			*ret_len = s->len;
		if (ret_value)
			*ret_value = s->value;
		(*iter)++;
		return true;
	}
	return false;
}

int fh_map_collect(const struct fh_map *m, bool (*pick)(void *value, void *arg), void *arg,
		   void ***ret, size_t *ret_n)
{
	void **out = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].hash || !pick(m->slots[i].value, arg))
			continue;
		if (n == cap) {
			void **p = realloc(out, (cap ? cap * 2 : 16) * sizeof(*p));

			if (!p) {
				free(out);
				return -ENOMEM;
			}
			out = p;
			cap = cap ? cap * 2 : 16;
		}
		out[n++] = m->slots[i].value;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

void fh_map_free(struct fh_map *m, void (*free_value)(void *))
{
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].hash)
			continue;
		free(m->slots[i].key);
		if (free_value)
			free_value(m->slots[i].value);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

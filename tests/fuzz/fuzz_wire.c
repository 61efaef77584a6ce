/* fuzz_wire.c - libFuzzer target feeding arbitrary record streams to the wire reassembler. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>
#include "proto.h"
#include "wire/wire.h"

/*
 * Input format (tests/fuzz/gen_wire_corpus.py writes seeds in it):
 *  - byte 0 picks the limits: bits 0-2 max_pending - 1 (1..8), bits 3-4 max_bytes (64,
 *    1024, 16384 or FH_STREAM_MAX), bits 5-7 expire_ns / 1000 - 1 (1000..8000 ns);
 *  - then records, each a 2-byte little-endian prefix and that many bytes (fewer at the
 *    end of the input). Bits 0-14 of the prefix are the length; bit 15 set moves the clock
 *    past expire_ns before the record, otherwise the clock moves 100 ns.
 * Every record is copied into a buffer of exactly its length, so a read past it is caught.
 * Invariants are checked with abort(), so that libFuzzer reports them as crashes.
 */

static const size_t max_bytes_choice[4] = { 64, 1024, 16384, FH_STREAM_MAX };

struct check {
	const struct fh_reasm_limits *lim;
	uint64_t events;
};

static void check_event(const struct fh_event *ev, void *ctx)
{
	struct check *c = ctx;
	volatile uint8_t sink = 0;
	size_t i;

	c->events++;
	if (ev->type != FH_EV_FORK && ev->type != FH_EV_EXEC && ev->type != FH_EV_EXIT)
		abort();
	if (ev->source != FH_SRC_BPF || ev->comm[16] != '\0')
		abort();
	if (!ev->path || ev->path[ev->path_len] != '\0' || ev->path_len > FH_PATH_MAX)
		abort();
	if (ev->argv_len && !ev->argv)
		abort();
	if (ev->argv_len > FH_ARGV_MAX_LIMIT || ev->path_len + ev->argv_len > c->lim->max_bytes)
		abort();
	/* Every byte promised must be readable: AddressSanitizer checks these reads. */
	for (i = 0; i < ev->path_len; i++)
		sink ^= (uint8_t)ev->path[i];
	for (i = 0; i < ev->argv_len; i++)
		sink ^= ev->argv[i];
	(void)sink;
	if (ev->type != FH_EV_EXEC && (ev->path_len || ev->argv_len))
		abort();
	if (ev->type == FH_EV_EXEC && !ev->incomplete && ev->argv_len > ev->argv_full)
		abort();
	if ((ev->incomplete & FH_INC_NO_HEAD) &&
	    (!(ev->incomplete & FH_INC_LOST_CHUNKS) || ev->path_len || ev->argv_len))
		abort();
}

static void check_stats(const struct fh_reasm *r, const struct check *c, uint64_t records)
{
	struct fh_reasm_stats st;

	fh_reasm_get_stats(r, &st);
	if (st.records != records || st.events != c->events)
		abort();
	if (st.pending > c->lim->max_pending || st.pending_bytes > c->lim->max_bytes)
		abort();
	if (st.pending_peak < st.pending || st.pending_peak > c->lim->max_pending)
		abort();
	if (st.events_incomplete > st.events || st.orphans > st.events_incomplete)
		abort();
	/* One event may be both evicted (too big to buffer) and expired: bound each alone. */
	if (st.expired > st.events_incomplete || st.evicted > st.events_incomplete)
		abort();
	if (!st.pending && st.pending_bytes)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fh_reasm_limits lim;
	struct fh_reasm_stats st;
	struct check c = { &lim, 0 };
	struct fh_reasm *r;
	uint64_t now = 1, records = 0;
	size_t pos = 1;

	if (size < 1)
		return 0;
	lim.max_pending = 1 + (data[0] & 7);
	lim.max_bytes = max_bytes_choice[(data[0] >> 3) & 3];
	lim.expire_ns = 1000 * (1 + (uint64_t)(data[0] >> 5));
	r = fh_reasm_new(&lim);
	if (!r)
		abort();

	while (pos + 2 <= size) {
		uint16_t prefix = (uint16_t)(data[pos] | data[pos + 1] << 8);
		size_t len = prefix & 0x7fff;
		struct fh_rec m;
		uint8_t *rec;
		int dec, err;

		pos += 2;
		if (len > size - pos)
			len = size - pos;
		now += prefix & 0x8000 ? lim.expire_ns + 1 : 100;
		rec = malloc(len ? len : 1);
		if (!rec)
			abort();
		memcpy(rec, data + pos, len);
		pos += len;

		dec = fh_wire_decode(rec, len, &m);
		err = fh_reasm_feed(r, rec, len, now, check_event, &c);
		records++;
		if (dec < 0 && err != dec)
			abort();
		if (dec == 0 && m.type == FH_REC_DATA && m.data != rec + sizeof(struct fh_rec_data))
			abort();
		free(rec);
		check_stats(r, &c, records);
		fh_reasm_expire(r, now, check_event, &c);
		check_stats(r, &c, records);
	}

	fh_reasm_flush(r, check_event, &c);
	check_stats(r, &c, records);
	fh_reasm_get_stats(r, &st);
	if (st.pending || st.pending_bytes)
		abort();
	fh_reasm_free(r);
	return 0;
}

/* test_wire_fanrec.c - unit tests of the fanotify record decoder in wire/, on crafted buffers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <linux/fanotify.h>

#include "wire/wire.h"

/* Builds events into a byte buffer the way the kernel lays them out. */
struct builder {
	uint8_t b[4096];
	size_t len;
	size_t event_start;
};

static void put(struct builder *bd, const void *p, size_t n)
{
	assert_true(bd->len + n <= sizeof(bd->b));
	memcpy(bd->b + bd->len, p, n);
	bd->len += n;
}

static void begin_event(struct builder *bd, uint64_t mask, int32_t fd, int32_t pid)
{
	struct fanotify_event_metadata m = { .vers = FANOTIFY_METADATA_VERSION,
					     .metadata_len = sizeof(m),
					     .mask = mask,
					     .fd = fd,
					     .pid = pid };

	bd->event_start = bd->len;
	put(bd, &m, sizeof(m));
}

static void end_event(struct builder *bd)
{
	uint32_t event_len = (uint32_t)(bd->len - bd->event_start);

	memcpy(bd->b + bd->event_start, &event_len, 4);
}

/* A FID-type record: fsid, a file handle of hb bytes, and name (NULL for none). */
static void put_fid(struct builder *bd, uint8_t type, uint32_t hb, const char *name)
{
	struct fanotify_event_info_header h = { .info_type = type };
	uint32_t fsid[2] = { 0x11, 0x22 }, handle_type = 1;
	size_t start = bd->len, n;
	uint8_t zero[8] = { 0 }, handle[64];

	put(bd, &h, sizeof(h));
	put(bd, fsid, 8);
	put(bd, &hb, 4);
	put(bd, &handle_type, 4);
	memset(handle, 0xab, sizeof(handle));
	put(bd, handle, hb);
	if (name)
		put(bd, name, strlen(name) + 1);
	n = bd->len - start;
	put(bd, zero, (4 - n % 4) % 4); /* the kernel pads records to 4 bytes */
	h.len = (uint16_t)(bd->len - start);
	memcpy(bd->b + start, &h, sizeof(h));
}

struct seen {
	struct fh_fan_event ev[8];
	char names[8][3][64];
	size_t n;
};

static void collect(const struct fh_fan_event *ev, void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	s->ev[s->n] = *ev;
	for (size_t i = 0; i < ev->nnames; i++)
		if (ev->names[i].name)
			snprintf(s->names[s->n][i], 64, "%.*s", (int)ev->names[i].name_len,
				 ev->names[i].name);
	s->n++;
}

static void test_dfid_name_and_rename(void **state)
{
	struct builder bd = { 0 };
	struct seen s = { 0 };
	struct fanotify_event_info_header ph = { .info_type = FAN_EVENT_INFO_TYPE_PIDFD, .len = 8 };
	int32_t pidfd = 7;
	uint64_t bad = 99;

	(void)state;
	begin_event(&bd, FAN_CLOSE_WRITE, FAN_NOFD, 4242);
	put_fid(&bd, FAN_EVENT_INFO_TYPE_DFID_NAME, 8, "evil.conf");
	put(&bd, &ph, sizeof(ph));
	put(&bd, &pidfd, 4);
	end_event(&bd);
	begin_event(&bd, FAN_RENAME, FAN_NOFD, 77);
	put_fid(&bd, FAN_EVENT_INFO_TYPE_OLD_DFID_NAME, 12, "tmp.XXXXXX");
	put_fid(&bd, FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, 12, "alice");
	end_event(&bd);
	begin_event(&bd, FAN_Q_OVERFLOW, FAN_NOFD, 0);
	end_event(&bd);

	assert_int_equal(fh_fan_decode(bd.b, bd.len, collect, &s, &bad), 3);
	assert_int_equal(bad, 0);
	assert_int_equal(s.ev[0].mask, FAN_CLOSE_WRITE);
	assert_int_equal(s.ev[0].pid, 4242);
	assert_int_equal(s.ev[0].pidfd, 7);
	assert_int_equal(s.ev[0].nnames, 1);
	assert_string_equal(s.names[0][0], "evil.conf");
	assert_int_equal(s.ev[0].names[0].handle_len, 16);
	assert_int_equal(s.ev[0].names[0].fsid[1], 0x22);
	assert_false(s.ev[0].malformed);
	assert_int_equal(s.ev[1].nnames, 2);
	assert_int_equal(s.ev[1].names[0].type, FAN_EVENT_INFO_TYPE_OLD_DFID_NAME);
	assert_string_equal(s.names[1][0], "tmp.XXXXXX");
	assert_string_equal(s.names[1][1], "alice");
	assert_int_equal(s.ev[1].pidfd, -1);
	assert_int_equal(s.ev[2].mask, FAN_Q_OVERFLOW);
	assert_int_equal(s.ev[2].nnames, 0);
}

static void test_malformed(void **state)
{
	struct builder bd = { 0 };
	struct seen s = { 0 };
	struct fanotify_event_info_header zero_len = { .info_type = 99, .len = 0 };
	uint64_t bad;
	uint8_t *name_end;

	(void)state;
	/* 1: an info record of length 0 (could loop forever): flagged, fd still given. */
	begin_event(&bd, FAN_CREATE, 5, 1);
	put(&bd, &zero_len, sizeof(zero_len));
	end_event(&bd);
	/* 2: a name without its NUL inside the record. */
	begin_event(&bd, FAN_CREATE, FAN_NOFD, 2);
	put_fid(&bd, FAN_EVENT_INFO_TYPE_DFID_NAME, 8, "abc");
	name_end = bd.b + bd.len - 1;
	while (*name_end == 0)
		*name_end-- = 'x'; /* overwrite the NUL and the padding */
	end_event(&bd);
	/* 3: a handle longer than its record. */
	begin_event(&bd, FAN_CREATE, FAN_NOFD, 3);
	put_fid(&bd, FAN_EVENT_INFO_TYPE_DFID, 8, NULL);
	{
		uint32_t huge = 4000;

		memcpy(bd.b + bd.event_start + sizeof(struct fanotify_event_metadata) + 4 + 8,
		       &huge, 4);
	}
	end_event(&bd);
	/* 4: a good event after the bad ones is still decoded. */
	begin_event(&bd, FAN_DELETE, FAN_NOFD, 4);
	put_fid(&bd, FAN_EVENT_INFO_TYPE_DFID_NAME, 8, "ok");
	end_event(&bd);

	assert_int_equal(fh_fan_decode(bd.b, bd.len, collect, &s, &bad), 4);
	assert_int_equal(bad, 3);
	assert_true(s.ev[0].malformed);
	assert_int_equal(s.ev[0].fd, 5); /* the caller can still close it */
	assert_true(s.ev[1].malformed);
	assert_true(s.ev[2].malformed);
	assert_int_equal(s.ev[2].nnames, 0);
	assert_false(s.ev[3].malformed);
	assert_string_equal(s.names[3][0], "ok");

	/* An event_len past the buffer, or a wrong version: the rest cannot be delimited. */
	s.n = 0;
	memcpy(bd.b, &(uint32_t){ 100000 }, 4);
	assert_int_equal(fh_fan_decode(bd.b, bd.len, collect, &s, &bad), 0);
	assert_int_equal(bad, 1);
	bd.b[4] = 2; /* vers */
	assert_int_equal(fh_fan_decode(bd.b, bd.len, collect, &s, &bad), 0);
	assert_int_equal(bad, 1);
	/* A short tail is counted too; an empty buffer is nothing. */
	assert_int_equal(fh_fan_decode(bd.b, 10, collect, &s, &bad), 0);
	assert_int_equal(bad, 1);
	assert_int_equal(fh_fan_decode(bd.b, 0, collect, &s, &bad), 0);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dfid_name_and_rename),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

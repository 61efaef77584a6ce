/* fanrec.c - decodes a buffer of fanotify events and their info records, checking every length. */
#include <string.h>

#include <linux/fanotify.h>

#include "wire/wire.h"

/*
 * Layout (fanotify(7)): events back to back, each a struct fanotify_event_metadata of
 * metadata_len bytes followed by info records up to event_len; each info record starts
 * with a struct fanotify_event_info_header whose len covers the record. A FID-type record
 * holds an fsid, a struct file_handle (u32 handle_bytes, s32 handle_type, the bytes),
 * and for the *_NAME types a NUL-terminated name, padded to 4 bytes.
 *
 * Invariants: nothing is read past len, past event_len, or past an info record's len;
 * a record length of 0 cannot loop (lengths are checked to be at least a header); an
 * event is delivered even when an info record is bad, flagged, so that the caller can
 * close its fd. Rejected: FAN_EVENT_NEXT/FAN_EVENT_OK alone, which check the metadata
 * but nothing inside it, and casting info records in place (a fuzzer gives unaligned
 * buffers; the kernel pads, but the decoder does not rely on it).
 */

#define FH_HANDLE_HDR 8 /* struct file_handle: u32 handle_bytes, s32 handle_type */

/* Parses one FID-type info record of n bytes at p into *nm; false when it is bad. */
static bool parse_fid(const uint8_t *p, size_t n, uint8_t type, struct fh_fan_name *nm)
{
	size_t off = sizeof(struct fanotify_event_info_header), hb;
	uint32_t handle_bytes;
	const uint8_t *end;

	if (n < off + 8 + FH_HANDLE_HDR)
		return false;
	memset(nm, 0, sizeof(*nm));
	nm->type = type;
	memcpy(nm->fsid, p + off, 8);
	off += 8;
	memcpy(&handle_bytes, p + off, 4);
	hb = handle_bytes;
	if (hb > n - off - FH_HANDLE_HDR)
		return false;
	nm->handle = p + off;
	nm->handle_len = FH_HANDLE_HDR + hb;
	off += nm->handle_len;
	if (type == FAN_EVENT_INFO_TYPE_DFID_NAME || type == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME ||
	    type == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME) {
		end = memchr(p + off, '\0', n - off);
		if (!end || end == p + off)
			return false; /* no terminator in the record, or an empty name */
		nm->name = (const char *)(p + off);
		nm->name_len = (size_t)(end - (p + off));
	}
	return true;
}

/* Parses the info records of one event (n bytes at p) into *ev; false when one is bad. */
static bool parse_infos(const uint8_t *p, size_t n, struct fh_fan_event *ev)
{
	size_t off = 0;

	while (off < n) {
		struct fanotify_event_info_header h;

		if (n - off < sizeof(h))
			return false;
		memcpy(&h, p + off, sizeof(h));
		if (h.len < sizeof(h) || h.len > n - off)
			return false;
		switch (h.info_type) {
		case FAN_EVENT_INFO_TYPE_FID:
		case FAN_EVENT_INFO_TYPE_DFID:
		case FAN_EVENT_INFO_TYPE_DFID_NAME:
		case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
		case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
			if (ev->nnames == FH_FAN_NAMES_MAX ||
			    !parse_fid(p + off, h.len, h.info_type, &ev->names[ev->nnames]))
				return false;
			ev->nnames++;
			break;
		case FAN_EVENT_INFO_TYPE_PIDFD:
			if (h.len < sizeof(h) + sizeof(int32_t))
				return false;
			memcpy(&ev->pidfd, p + off + sizeof(h), sizeof(int32_t));
			break;
		default:
			break; /* a record type this build does not know: skipped whole */
		}
		off += h.len;
	}
	return true;
}

size_t fh_fan_decode(const void *buf, size_t len, fh_fan_cb cb, void *ctx, uint64_t *ret_malformed)
{
	const uint8_t *p = buf;
	size_t off = 0, events = 0;
	uint64_t bad = 0;

	while (len - off >= sizeof(struct fanotify_event_metadata)) {
		struct fanotify_event_metadata m;
		struct fh_fan_event ev;

		memcpy(&m, p + off, sizeof(m));
		if (m.vers != FANOTIFY_METADATA_VERSION || m.metadata_len < sizeof(m) ||
		    m.event_len < m.metadata_len || m.event_len > len - off) {
			bad++; /* cannot be delimited: the rest of the buffer is lost */
			break;
		}
		memset(&ev, 0, sizeof(ev));
		ev.mask = m.mask;
		ev.fd = m.fd;
		ev.pid = m.pid;
		ev.pidfd = -1;
		if (!parse_infos(p + off + m.metadata_len, m.event_len - m.metadata_len, &ev)) {
			ev.malformed = true;
			ev.nnames = 0;
			bad++;
		}
		cb(&ev, ctx);
		events++;
		off += m.event_len;
	}
	if (off < len && !bad)
		bad++; /* a tail shorter than any event */
	if (ret_malformed)
		*ret_malformed = bad;
	return events;
}

/* clock.c - CLOCK_BOOTTIME, the kernel's process clock, and its conversion to wall-clock time. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/common.h"

static uint64_t ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t fh_boot_ns(void)
{
	return ts_ns(CLOCK_BOOTTIME);
}

uint64_t fh_boot_to_wall_ns(uint64_t boot_ns)
{
	/* wall - boot, measured between two boot reads to bound the error. */
	static int64_t offset;
	static uint64_t measured_at;
	uint64_t now = fh_boot_ns();

	if (!measured_at || now - measured_at > 1000000000ull) {
		uint64_t best = UINT64_MAX;

		/*
		 * Of three samples keep the one whose two boot reads were closest: a
		 * preemption between the reads would otherwise shift every timestamp of
		 * the next second by as long as it lasted.
		 */
		for (int i = 0; i < 3; i++) {
			uint64_t b0 = ts_ns(CLOCK_BOOTTIME);
			uint64_t w = ts_ns(CLOCK_REALTIME);
			uint64_t b1 = ts_ns(CLOCK_BOOTTIME);

			if (b1 - b0 < best) {
				best = b1 - b0;
				offset = (int64_t)(w - (b0 + (b1 - b0) / 2));
			}
		}
		measured_at = now;
	}
	return (uint64_t)((int64_t)boot_ns + offset);
}

void fh_format_rfc3339(char out[32], uint64_t wall_ns)
{
	/* The date and time to the second change once a second: format them once. */
	static time_t cached_sec = (time_t)-1;
	static char cached[24];
	static size_t cached_len;
	time_t sec = (time_t)(wall_ns / 1000000000ull);
	unsigned usec = (unsigned)((wall_ns % 1000000000ull) / 1000);

	if (sec != cached_sec) {
		struct tm tm;

		gmtime_r(&sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = sec;
	}
	memcpy(out, cached, cached_len);
	/* ".uuuuuuZ" without printf: this runs twice per event. */
	out[cached_len] = '.';
	for (int i = 6; i >= 1; i--) {
		out[cached_len + (size_t)i] = (char)('0' + usec % 10);
		usec /= 10;
	}
	out[cached_len + 7] = 'Z';
	out[cached_len + 8] = '\0';
}

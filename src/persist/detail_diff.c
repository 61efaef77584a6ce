/* detail_diff.c - the lines added and removed between two versions of a text item (pure). */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "persist/persist.h"

/*
 * A line is the bytes up to '\n' or the end of the input: a final line without '\n'
 * counts, and a trailing '\n' does not start an empty line. One '\r' before the '\n'
 * (or at the end) is part of the terminator, not of the text: it is neither compared nor
 * reported, so a file converted between CRLF and LF shows no lines (the alert already
 * says that its content changed).
 *
 * Lines are first interned: equal byte strings get the same id through one hash table
 * (hash, then bytes), so the diff itself compares integers and a long repeated line
 * costs its length once, not once per comparison. The common prefix and suffix lines are
 * then dropped, which makes the usual change (a line appended to a 200-line .bashrc)
 * linear. What is left goes through Myers' greedy O((N+M)D) algorithm ("An O(ND)
 * Difference Algorithm and Its Variations", 1986), which finds a shortest edit script:
 * the lists are minimal, not merely correct.
 *
 * Invariants: every index reported is within its input; every list is in increasing
 * line order; a line is never both kept and reported. Bounds: each input is read up to
 * FH_DETAIL_MAX_INPUT bytes and FH_DIFF_MAX_LINES lines ("truncated"); each list holds
 * at most FH_DETAIL_MAX_ITEMS entries ("truncated" and "<list>_total"); the edit distance
 * searched is at most DIFF_MAX_EDITS and the work at most DIFF_MAX_STEPS, past which the
 * differing middle is reported as all removed and all added ("approximate"). The search
 * keeps one vector per edit step for the backtrack, (D+1)^2 int32s, so 4 MiB at most.
 *
 * Rejected: the linear-space divide-and-conquer variant. It needs no trace, but its
 * worst case still has to be cut by a budget, and past the budget this one's answer is
 * as useful; its extra complexity buys only memory that the cap already bounds.
 * Rejected: an O(NM) LCS table (400M cells at the line bound). Rejected: comparing lines
 * by hash alone (a collision, which an attacker can arrange, would hide a change).
 * Accepted limit: the hash is not keyed, so crafted bucket collisions can slow interning
 * of a file the attacker already writes to; it stays bounded by the line cap.
 */

#define DIFF_MAX_EDITS 1023	  /* edit distance searched before giving up */
#define DIFF_MAX_STEPS (1u << 26) /* diagonal extensions and snake steps, likewise */

struct line {
	const char *text;
	size_t len;
	uint64_t hash;
	uint32_t id; /* equal for byte-equal lines */
};

struct side {
	struct line *lines;
	size_t n;
	bool truncated;
};

static uint64_t line_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a, then a splitmix64 finalizer */
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

/* Splits text into at most FH_DIFF_MAX_LINES lines. Returns -1 when out of memory. */
static int split_lines(struct side *sd, const char *text, size_t len)
{
	const char *p = text, *end, *nl;
	size_t n = 0, cap;

	if (len > FH_DETAIL_MAX_INPUT) {
		len = FH_DETAIL_MAX_INPUT;
		sd->truncated = true;
	}
	end = text + len;
	/* At most one line per byte, plus the empty input's none: len + 1 is enough. */
	cap = len + 1 < FH_DIFF_MAX_LINES ? len + 1 : FH_DIFF_MAX_LINES;
	sd->lines = calloc(cap, sizeof(*sd->lines));
	if (!sd->lines)
		return -1;
	while (p < end) {
		size_t l;

		if (n == FH_DIFF_MAX_LINES) {
			sd->truncated = true;
			break;
		}
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		sd->lines[n].text = p;
		sd->lines[n].len = l && p[l - 1] == '\r' ? l - 1 : l;
		sd->lines[n].hash = line_hash(p, sd->lines[n].len);
		n++;
		p += l + (nl != NULL);
	}
	sd->n = n;
	return 0;
}

/* Gives byte-equal lines of both sides the same id. Returns -1 when out of memory. */
static int intern_lines(struct side *a, struct side *b)
{
	size_t total = a->n + b->n, size = 16, i, mask;
	struct line **tab;
	uint32_t next = 0;

	while (size < 2 * total)
		size *= 2;
	tab = calloc(size, sizeof(*tab));
	if (!tab)
		return -1;
	mask = size - 1;
	for (i = 0; i < total; i++) {
		struct line *l = i < a->n ? &a->lines[i] : &b->lines[i - a->n];
		size_t s = (size_t)l->hash & mask;

		while (tab[s] && (tab[s]->hash != l->hash || tab[s]->len != l->len ||
				  memcmp(tab[s]->text, l->text, l->len) != 0))
			s = (s + 1) & mask;
		if (tab[s]) {
			l->id = tab[s]->id;
		} else {
			tab[s] = l;
			l->id = next++;
		}
	}
	free(tab);
	return 0;
}

/*
 * Finds a shortest edit script from a[0..n) to b[0..m) and marks the removed lines of a
 * in del and the added lines of b in ins. Returns 0, 1 when a bound was reached (nothing
 * marked), or -1 when out of memory. Needs n > 0 and m > 0.
 */
static int myers(const struct line *a, size_t n, const struct line *b, size_t m, uint8_t *del,
		 uint8_t *ins)
{
	/* v[k + off] is the furthest x reached on diagonal k = x - y, or -1 for none. */
	long off = DIFF_MAX_EDITS + 2, d, k, x, y, dmax;
	long *v;
	int32_t *trace = NULL, *nt; /* x < FH_DIFF_MAX_LINES fits */
	size_t steps = 0, tcap = 0;
	int ret = 1;

	v = malloc((size_t)(2 * off + 1) * sizeof(*v));
	if (!v)
		return -1;
	for (k = 0; k <= 2 * off; k++)
		v[k] = -1;
	dmax = (long)(n + m) < DIFF_MAX_EDITS ? (long)(n + m) : DIFF_MAX_EDITS;
	for (d = 0; d <= dmax; d++) {
		if ((size_t)((d + 1) * (d + 1)) > tcap) {
			/* Geometric growth (no O(D^3) copying), up to the most ever needed. */
			tcap = (size_t)(4 * (d + 1) * (d + 1));
			if (tcap > (size_t)(DIFF_MAX_EDITS + 1) * (DIFF_MAX_EDITS + 1))
				tcap = (size_t)(DIFF_MAX_EDITS + 1) * (DIFF_MAX_EDITS + 1);
			nt = realloc(trace, tcap * sizeof(*trace));
			if (!nt) {
				ret = -1;
				goto out_free;
			}
			trace = nt;
		}
		for (k = -d; k <= d; k += 2) {
			long down = v[off + k + 1], right = v[off + k - 1];

			/* A move stays inside the grid: y <= m after going down, x <= n right. */
			if (down >= 0 && down - k > (long)m)
				down = -1;
			if (right >= 0 && right + 1 > (long)n)
				right = -1;
			x = d == 0 ? 0 : down >= right + 1 ? down : right + 1;
			if (d && down < 0 && right < 0)
				x = -1;
			if (x >= 0) {
				long x0 = x;

				y = x - k;
				while (x < (long)n && y < (long)m && a[x].id == b[y].id) {
					x++;
					y++;
				}
				steps += (size_t)(x - x0) + 1;
			}
			v[off + k] = x;
		}
		for (k = -d; k <= d; k++)
			trace[d * d + d + k] = (int32_t)v[off + k];
		if ((long)n - (long)m >= -d && (long)n - (long)m <= d &&
		    v[off + (long)n - (long)m] == (long)n)
			break;
		if (steps > DIFF_MAX_STEPS)
			goto out_free;
	}
	if (d > dmax)
		goto out_free;

	/* Walk back from (n, m): each step undoes one snake and one edit. */
	x = (long)n;
	y = (long)m;
	for (; d > 0; d--) {
		const int32_t *pv = trace + (d - 1) * (d - 1) + (d - 1); /* pv[k], |k| < d */
		long down, right, px;

		k = x - y;
		down = k + 1 <= d - 1 ? pv[k + 1] : -1;
		right = k - 1 >= -(d - 1) ? pv[k - 1] : -1;
		if (down >= 0 && down - k > (long)m)
			down = -1;
		if (right >= 0 && right + 1 > (long)n)
			right = -1;
		if (down >= right + 1) {
			px = down;
			ins[px - (k + 1)] = 1;
		} else {
			px = right;
			del[px] = 1;
		}
		x = px;
		y = px - (down >= right + 1 ? k + 1 : k - 1);
	}
	ret = 0;
out_free:
	free(trace);
	free(v);
	return ret;
}

/* Appends {"line":N,"text":...} for each marked line, up to the cap; 0, or -1 on OOM. */
static int emit_list(json_t *root, const char *name, const char *total_name, const struct side *sd,
		     size_t base, const uint8_t *mark, size_t n, struct fh_buf *buf)
{
	json_t *arr = json_array();
	size_t i, count = 0;

	if (!arr || json_object_set_new(root, name, arr) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		const struct line *l = &sd->lines[base + i];
		json_t *o;

		if (!mark[i])
			continue;
		if (++count > FH_DETAIL_MAX_ITEMS)
			continue;
		fh_buf_reset(buf);
		fh_utf8_sanitize(buf, l->text, l->len);
		if (buf->oom)
			return -1;
		o = json_object();
		if (!o || json_array_append_new(arr, o) != 0 ||
		    json_object_set_new(o, "line", json_integer((json_int_t)(base + i + 1))) != 0 ||
		    json_object_set_new(o, "text",
					json_stringn(buf->data ? buf->data : "", buf->len)) != 0)
			return -1;
	}
	if (count > FH_DETAIL_MAX_ITEMS &&
	    (json_object_set_new(root, "truncated", json_true()) != 0 ||
	     json_object_set_new(root, total_name, json_integer((json_int_t)count)) != 0))
		return -1;
	return 0;
}

json_t *fh_detail_diff(const char *old_text, size_t old_len, const char *new_text, size_t new_len)
{
	struct side a = { 0 }, b = { 0 };
	struct fh_buf buf = { 0 };
	uint8_t *del = NULL, *ins = NULL;
	size_t pre = 0, suf = 0, n, m;
	json_t *root = NULL;
	int r;

	if (!old_text)
		old_len = 0;
	if (!new_text)
		new_len = 0;
	if (split_lines(&a, old_text ? old_text : "", old_len) != 0 ||
	    split_lines(&b, new_text ? new_text : "", new_len) != 0 || intern_lines(&a, &b) != 0)
		goto out_free;

	while (pre < a.n && pre < b.n && a.lines[pre].id == b.lines[pre].id)
		pre++;
	while (suf < a.n - pre && suf < b.n - pre &&
	       a.lines[a.n - 1 - suf].id == b.lines[b.n - 1 - suf].id)
		suf++;
	n = a.n - pre - suf;
	m = b.n - pre - suf;
	del = calloc(n + 1, 1);
	ins = calloc(m + 1, 1);
	root = json_object();
	if (!del || !ins || !root)
		goto out_fail;

	/* Only additions or only removals is already the shortest script, however long. */
	r = n && m ? myers(a.lines + pre, n, b.lines + pre, m, del, ins) : 2;
	if (r < 0)
		goto out_fail;
	if (r == 1 && json_object_set_new(root, "approximate", json_true()) != 0)
		goto out_fail;
	if (r > 0) {
		memset(del, 1, n);
		memset(ins, 1, m);
	}
	if ((a.truncated || b.truncated) &&
	    json_object_set_new(root, "truncated", json_true()) != 0)
		goto out_fail;
	if (emit_list(root, "added", "added_total", &b, pre, ins, m, &buf) != 0 ||
	    emit_list(root, "removed", "removed_total", &a, pre, del, n, &buf) != 0)
		goto out_fail;
	goto out_free;

out_fail:
	json_decref(root);
	root = NULL;
out_free:
	fh_buf_free(&buf);
	free(ins);
	free(del);
	free(b.lines);
	free(a.lines);
	return root;
}

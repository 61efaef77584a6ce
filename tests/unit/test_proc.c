/* test_proc.c - unit tests of the process table (src/proc), fed hand-built events. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc/proc.h"

#define SEC  1000000000ull
#define TICK FH_PTABLE_DEFAULT_TICK

/* Event builders */

static struct fh_event ev_fork(uint32_t pid, uint64_t start, uint32_t ppid, uint64_t pstart,
			       uint32_t uid)
{
	struct fh_event ev = { 0 };

	ev.type = FH_EV_FORK;
	ev.source = FH_SRC_BPF;
	ev.pid = pid;
	ev.ppid = ppid;
	ev.start_ns = start;
	ev.ktime_ns = start;
	ev.parent_start_ns = pstart;
	ev.uid = uid;
	return ev;
}

/* An exec by uid 1000 in session 7 of cgroup 77; argv of len bytes, NULL for none. */
static struct fh_event ev_exec(uint32_t pid, uint64_t start, uint32_t ppid, const char *path,
			       const void *argv, size_t len)
{
	struct fh_event ev = { 0 };

	ev.type = FH_EV_EXEC;
	ev.source = FH_SRC_BPF;
	ev.pid = pid;
	ev.ppid = ppid;
	ev.start_ns = start;
	ev.ktime_ns = start;
	ev.uid = ev.gid = ev.euid = ev.egid = ev.loginuid = 1000;
	ev.sessionid = 7;
	ev.cgroup_id = 77;
	if (path) {
		const char *base = strrchr(path, '/');

		snprintf(ev.comm, sizeof(ev.comm), "%s", base ? base + 1 : path);
		ev.path = path;
		ev.path_len = strlen(path);
	}
	ev.argv = argv;
	ev.argv_len = len;
	ev.argv_full = len;
	return ev;
}

static struct fh_event ev_seed(uint32_t pid, uint64_t start, uint32_t ppid, const char *path)
{
	struct fh_event ev = ev_exec(pid, start, ppid, path, path, strlen(path) + 1);

	ev.source = FH_SRC_SEED;
	ev.start_coarse = true;
	ev.ktime_ns = 0;
	return ev;
}

static struct fh_event ev_exit(uint32_t pid, uint64_t start, uint64_t ktime, uint32_t status)
{
	struct fh_event ev = { 0 };

	ev.type = FH_EV_EXIT;
	ev.source = FH_SRC_BPF;
	ev.pid = pid;
	ev.start_ns = start;
	ev.ktime_ns = ktime;
	ev.status = status;
	return ev;
}

static void apply(struct fh_ptable *t, struct fh_event ev, uint64_t now_ns)
{
	assert_int_equal(fh_ptable_apply(t, &ev, now_ns), 0);
}

static struct fh_ptable_stats stats(const struct fh_ptable *t)
{
	struct fh_ptable_stats st;

	fh_ptable_get_stats(t, &st);
	return st;
}

static const struct fh_proc *must_find(struct fh_ptable *t, uint32_t pid, uint64_t start)
{
	const struct fh_proc *p = fh_ptable_lookup(t, pid, start);

	assert_non_null(p);
	assert_int_equal(p->pid, pid);
	return p;
}

static void assert_args(const struct fh_proc *p, const void *argv, size_t len)
{
	assert_non_null(p->args);
	assert_int_equal(p->args_len, len);
	assert_memory_equal(p->args, argv, len);
}

static const char BASH_ARGV[] = "-bash\0-l";
static const char CURL_ARGV[] = "curl\0-s\0http://x/y.sh";

/* Tests */

static void test_fork_inherits_image(void **state)
{
	struct fh_ptable *t = fh_ptable_new(NULL);
	const struct fh_proc *par, *kid, *orphan;
	struct fh_event ev;

	(void)state;
	ev = ev_exec(100, 1 * SEC, 0, "/usr/bin/bash", BASH_ARGV, sizeof(BASH_ARGV));
	ev.gid = 100;
	ev.euid = 0;
	apply(t, ev, 1 * SEC);
	/* The fork record names only the uid, and it differs from the parent's here. */
	apply(t, ev_fork(101, 2 * SEC, 100, 1 * SEC, 1001), 2 * SEC);
	/* parent_start_ns unknown: the parent is the pid 100 live at the child's start. */
	apply(t, ev_fork(102, 3 * SEC, 100, 0, 1000), 3 * SEC);

	par = must_find(t, 100, 1 * SEC);
	kid = must_find(t, 101, 2 * SEC);
	assert_int_equal(kid->ppid, 100);
	assert_int_equal(kid->start_ns, 2 * SEC);
	assert_int_equal(kid->parent_start_ns, 1 * SEC);
	assert_string_equal(kid->exe, "/usr/bin/bash");
	assert_ptr_equal(kid->exe, par->exe);	/* interned, not copied */
	assert_ptr_equal(kid->args, par->args); /* shared blob */
	assert_args(kid, BASH_ARGV, sizeof(BASH_ARGV));
	assert_string_equal(kid->comm, "bash");
	assert_int_equal(kid->uid, 1001);
	assert_int_equal(kid->gid, 100);
	assert_int_equal(kid->euid, 0);
	assert_int_equal(kid->loginuid, 1000);
	assert_int_equal(kid->sessionid, 7);
	assert_int_equal(kid->cgroup_id, 77);
	assert_int_equal(kid->flags & (FH_PROC_EXECED | FH_PROC_NO_IMAGE | FH_PROC_EXITED), 0);
	assert_ptr_equal(fh_ptable_parent(t, kid), par);

	kid = must_find(t, 102, 3 * SEC);
	assert_ptr_equal(fh_ptable_parent(t, kid), par);
	assert_int_equal(kid->parent_start_ns, 1 * SEC);
	assert_ptr_equal(kid->args, par->args);

	/* A fork of a parent never seen has no image. */
	apply(t, ev_fork(201, 4 * SEC, 200, 0, 0), 4 * SEC);
	orphan = must_find(t, 201, 4 * SEC);
	assert_true(orphan->flags & FH_PROC_NO_IMAGE);
	assert_null(orphan->exe);
	assert_null(orphan->args);
	assert_null(fh_ptable_parent(t, orphan));

	/* A duplicate fork adds nothing. */
	apply(t, ev_fork(101, 2 * SEC, 100, 1 * SEC, 1001), 5 * SEC);

	assert_int_equal(stats(t).forks, 3);
	assert_int_equal(stats(t).execs, 1);
	assert_int_equal(stats(t).entries, 4);
	assert_int_equal(stats(t).live, 4);
	assert_int_equal(stats(t).unknown_parent, 1);
	assert_int_equal(stats(t).exe_interned, 1);
	fh_ptable_free(t);
}

static void test_exec_replaces_image(void **state)
{
	struct fh_ptable *t = fh_ptable_new(NULL);
	const struct fh_proc *par, *kid;
	struct fh_event ev;

	(void)state;
	apply(t, ev_exec(100, 1 * SEC, 0, "/usr/bin/bash", BASH_ARGV, sizeof(BASH_ARGV)), 1 * SEC);
	apply(t, ev_fork(101, 2 * SEC, 100, 1 * SEC, 1000), 2 * SEC);
	apply(t, ev_exec(101, 2 * SEC, 100, "/usr/bin/curl", CURL_ARGV, sizeof(CURL_ARGV)),
	      3 * SEC);

	par = must_find(t, 100, 1 * SEC);
	kid = must_find(t, 101, 2 * SEC);
	assert_string_equal(kid->exe, "/usr/bin/curl");
	assert_string_equal(kid->comm, "curl");
	assert_args(kid, CURL_ARGV, sizeof(CURL_ARGV));
	assert_true(kid->flags & FH_PROC_EXECED);
	assert_false(kid->flags & FH_PROC_INCOMPLETE);
	/* The parent keeps its own image. */
	assert_string_equal(par->exe, "/usr/bin/bash");
	assert_args(par, BASH_ARGV, sizeof(BASH_ARGV));
	assert_int_equal(stats(t).exe_interned, 2);
	assert_int_equal(stats(t).entries, 2);

	/* An incomplete exec keeps what it has and says why; an unknown path is NULL. */
	ev = ev_exec(101, 2 * SEC, 100, NULL, "sh", 2);
	ev.incomplete = FH_INC_PATH_TRUNC | FH_INC_ARGV_TRUNC;
	ev.argv_full = 9000;
	apply(t, ev, 4 * SEC);
	assert_null(kid->exe);
	assert_args(kid, "sh", 2);
	assert_true(kid->flags & FH_PROC_INCOMPLETE);
	assert_int_equal(kid->incomplete, FH_INC_PATH_TRUNC | FH_INC_ARGV_TRUNC);
	assert_int_equal(stats(t).exe_interned, 1); /* curl had no other user */

	/* An exec of a process never seen to fork adds it. */
	apply(t, ev_exec(300, 5 * SEC, 100, "/bin/true", NULL, 0), 5 * SEC);
	kid = must_find(t, 300, 5 * SEC);
	assert_null(kid->args);
	assert_int_equal(kid->args_len, 0);
	assert_ptr_equal(fh_ptable_parent(t, kid), par);
	assert_int_equal(stats(t).execs, 4);
	assert_int_equal(stats(t).unknown_parent, 0);
	fh_ptable_free(t);
}

static void test_pid_reuse_exit_missed(void **state)
{
	struct fh_ptable *t = fh_ptable_new(NULL);
	const struct fh_proc *old, *cur;

	(void)state;
	apply(t, ev_exec(200, 1 * SEC, 1, "/usr/bin/old", "old\0arg", 8), 1 * SEC);
	old = must_find(t, 200, 1 * SEC);
	/* pid 200 again, with no exit in between: the exit was lost. */
	apply(t, ev_exec(200, 5 * SEC, 1, "/usr/bin/new", "new", 4), 6 * SEC);
	cur = must_find(t, 200, 5 * SEC);

	assert_ptr_not_equal(old, cur);
	assert_ptr_equal(must_find(t, 200, 1 * SEC), old);
	assert_string_equal(old->exe, "/usr/bin/old");
	assert_args(old, "old\0arg", 8);
	assert_true(old->flags & FH_PROC_EXITED);
	assert_int_equal(old->exit_ns, 6 * SEC);
	assert_string_equal(cur->exe, "/usr/bin/new");
	assert_args(cur, "new", 4);
	assert_false(cur->flags & FH_PROC_EXITED);
	assert_ptr_equal(fh_ptable_lookup(t, 200, 0), cur);
	assert_int_equal(stats(t).reused, 1);
	assert_int_equal(stats(t).entries, 2);
	assert_int_equal(stats(t).live, 1);

	/* A late event for a lifetime older than the live one never displaces it. */
	apply(t, ev_fork(200, 3 * SEC, 1, 0, 0), 7 * SEC);
	assert_true(must_find(t, 200, 3 * SEC)->flags & FH_PROC_EXITED);
	assert_ptr_equal(fh_ptable_lookup(t, 200, 0), cur);
	assert_false(cur->flags & FH_PROC_EXITED);
	assert_int_equal(stats(t).reused, 1);
	assert_int_equal(stats(t).live, 1);
	fh_ptable_free(t);
}

static void test_pid_reuse_exit_seen(void **state)
{
	struct fh_ptable *t = fh_ptable_new(NULL);
	const struct fh_proc *old, *cur;

	(void)state;
	apply(t, ev_exec(1, 1, 0, "/sbin/init", "init", 5), 1);
	apply(t, ev_exec(300, 1 * SEC, 1, "/usr/bin/old", "old", 4), 1 * SEC);
	apply(t, ev_exit(300, 1 * SEC, 2 * SEC, 0x100), 3 * SEC);
	apply(t, ev_fork(300, 4 * SEC, 1, 1, 0), 4 * SEC);

	old = must_find(t, 300, 1 * SEC);
	cur = must_find(t, 300, 4 * SEC);
	assert_ptr_not_equal(old, cur);
	assert_true(old->flags & FH_PROC_EXITED);
	assert_int_equal(old->exit_ns, 2 * SEC); /* the event's time, not the apply time */
	assert_int_equal(old->exit_status, 0x100);
	assert_args(old, "old", 4);
	assert_string_equal(cur->exe, "/sbin/init"); /* forked from init, no exec yet */
	assert_args(cur, "init", 5);
	assert_ptr_equal(fh_ptable_lookup(t, 300, 0), cur);
	/* The writer known to have exited is the old one, though the pid lives again. */
	assert_ptr_equal(fh_ptable_lookup_exited(t, 300), old);
	assert_null(fh_ptable_lookup_exited(t, 1));
	assert_int_equal(stats(t).reused, 0);
	assert_int_equal(stats(t).exits, 1);

	/* Both exited: start 0 names the one that exited last. */
	apply(t, ev_exit(300, 4 * SEC, 5 * SEC, 9), 5 * SEC);
	assert_ptr_equal(fh_ptable_lookup(t, 300, 0), cur);
	assert_ptr_equal(fh_ptable_lookup_exited(t, 300), cur); /* the one that exited last */
	assert_int_equal(cur->exit_status, 9);
	/* A repeated exit changes nothing. */
	apply(t, ev_exit(300, 4 * SEC, 6 * SEC, 1), 6 * SEC);
	assert_int_equal(cur->exit_ns, 5 * SEC);
	assert_int_equal(stats(t).exits, 2);
	assert_int_equal(stats(t).live, 1);

	/* An exit of a process never seen is counted and adds nothing. */
	apply(t, ev_exit(999, 7 * SEC, 7 * SEC, 0), 7 * SEC);
	assert_int_equal(stats(t).exit_unknown, 1);
	assert_int_equal(stats(t).entries, 3);
	assert_null(fh_ptable_lookup(t, 999, 0));
	fh_ptable_free(t);
}

static void test_grace_period(void **state)
{
	struct fh_ptable_limits lim = { .max_entries = 16, .grace_ns = 100, .tick_ns = TICK };
	struct fh_ptable *t = fh_ptable_new(&lim);

	(void)state;
	apply(t, ev_exec(10, 1, 1, "/bin/echo", "echo", 5), 1);
	apply(t, ev_exec(11, 2, 1, "/bin/sleep", "sleep", 6), 2);
	apply(t, ev_exit(10, 1, 1000, 0), 1000);

	fh_ptable_expire(t, 1050);
	assert_true(must_find(t, 10, 1)->flags & FH_PROC_EXITED);
	fh_ptable_expire(t, 1100); /* exit_ns + grace_ns == now: not yet before now */
	must_find(t, 10, 0);
	assert_int_equal(stats(t).expired, 0);

	fh_ptable_expire(t, 1101);
	assert_null(fh_ptable_lookup(t, 10, 1));
	assert_null(fh_ptable_lookup(t, 10, 0));
	assert_int_equal(stats(t).expired, 1);
	assert_int_equal(stats(t).entries, 1);
	assert_int_equal(stats(t).exe_interned, 1);

	/* Live entries never expire. */
	fh_ptable_expire(t, 1000 * SEC);
	must_find(t, 11, 2);
	assert_int_equal(stats(t).expired, 1);
	fh_ptable_free(t);
}

static void test_eviction_order(void **state)
{
	struct fh_ptable_limits lim = { .max_entries = 3, .grace_ns = SEC, .tick_ns = TICK };
	struct fh_ptable *t = fh_ptable_new(&lim);
	struct fh_ptable_stats st;

	(void)state;
	apply(t, ev_exec(1, 10, 0, "/a", "a", 2), 10);
	apply(t, ev_exec(2, 20, 0, "/b", "b", 2), 20);
	apply(t, ev_exec(3, 30, 0, "/c", "c", 2), 30);
	apply(t, ev_exit(2, 20, 40, 0), 40); /* exits first */
	apply(t, ev_exit(1, 10, 50, 0), 50);

	/* Full: the oldest exit goes first, then the next, and only then live ones. */
	apply(t, ev_exec(4, 60, 0, "/d", "d", 2), 60);
	assert_null(fh_ptable_lookup(t, 2, 20));
	must_find(t, 1, 10);
	st = stats(t);
	assert_int_equal(st.evicted_exited, 1);
	assert_int_equal(st.evicted_live, 0);

	apply(t, ev_exec(5, 70, 0, "/e", "e", 2), 70);
	assert_null(fh_ptable_lookup(t, 1, 10));
	assert_int_equal(stats(t).evicted_exited, 2);
	assert_int_equal(stats(t).evicted_live, 0);

	apply(t, ev_exec(6, 80, 0, "/f", "f", 2), 80); /* all live: the oldest, 3, goes */
	assert_null(fh_ptable_lookup(t, 3, 30));
	must_find(t, 4, 60);
	must_find(t, 5, 70);
	must_find(t, 6, 80);
	st = stats(t);
	assert_int_equal(st.evicted_exited, 2);
	assert_int_equal(st.evicted_live, 1);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.live, 3);
	assert_int_equal(st.exe_interned, 3); /* a, b and c were freed with their entries */
	assert_int_equal(st.expired, 0);

	/* A long run stays at the cap, every drop counted. */
	for (uint32_t k = 0; k < 1000; k++)
		apply(t, ev_exec(100 + k, 100 + k, 0, "/g", "g", 2), 100 + k);
	st = stats(t);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.evicted_live, 1001);
	assert_int_equal(st.evicted_exited, 2);
	fh_ptable_free(t);
}

static void test_ancestry(void **state)
{
	struct fh_ptable *t = fh_ptable_new(NULL);
	const struct fh_proc *ret[8], *p;

	(void)state;
	/* 1 init (ppid 0) -> 10 sshd -> 11 sshd -> 12 bash -> 13 curl */
	apply(t, ev_exec(1, 1 * SEC, 0, "/sbin/init", "init", 5), 1 * SEC);
	apply(t, ev_exec(10, 2 * SEC, 1, "/usr/sbin/sshd", "sshd", 5), 2 * SEC);
	apply(t, ev_fork(11, 3 * SEC, 10, 2 * SEC, 0), 3 * SEC);
	apply(t, ev_fork(12, 4 * SEC, 11, 3 * SEC, 1000), 4 * SEC);
	apply(t, ev_exec(12, 4 * SEC, 11, "/usr/bin/bash", "bash", 5), 4 * SEC);
	apply(t, ev_fork(13, 5 * SEC, 12, 0, 1000), 5 * SEC);
	apply(t, ev_exec(13, 5 * SEC, 12, "/usr/bin/curl", "curl", 5), 5 * SEC);
	/* The parents exit; the child is still attributed to them. */
	apply(t, ev_exit(12, 4 * SEC, 6 * SEC, 0), 6 * SEC);
	apply(t, ev_exit(11, 3 * SEC, 6 * SEC, 0), 6 * SEC);

	p = must_find(t, 13, 5 * SEC);
	assert_int_equal(fh_ptable_ancestry(t, p, ret, 8), 4);
	assert_int_equal(ret[0]->pid, 12);
	assert_int_equal(ret[1]->pid, 11);
	assert_int_equal(ret[2]->pid, 10);
	assert_int_equal(ret[3]->pid, 1); /* stops: init's ppid is 0 */
	assert_string_equal(ret[0]->exe, "/usr/bin/bash");
	assert_string_equal(ret[1]->exe, "/usr/sbin/sshd");

	/* At most max. */
	assert_int_equal(fh_ptable_ancestry(t, p, ret, 2), 2);
	assert_int_equal(ret[1]->pid, 11);
	assert_int_equal(fh_ptable_ancestry(t, p, NULL, 0), 0);

	/* Stops at an unknown parent. */
	apply(t, ev_exec(20, 2 * SEC, 19, "/x", "x", 2), 2 * SEC);
	apply(t, ev_fork(21, 3 * SEC, 20, 2 * SEC, 0), 3 * SEC);
	apply(t, ev_fork(22, 4 * SEC, 21, 3 * SEC, 0), 4 * SEC);
	assert_int_equal(fh_ptable_ancestry(t, must_find(t, 22, 4 * SEC), ret, 8), 2);
	assert_int_equal(ret[0]->pid, 21);
	assert_int_equal(ret[1]->pid, 20);

	/* A parent named by its start survives the reuse of its pid. */
	apply(t, ev_exit(20, 2 * SEC, 3 * SEC + 1, 0), 3 * SEC + 1);
	apply(t, ev_exec(20, 9 * SEC, 1, "/y", "y", 2), 9 * SEC);
	p = must_find(t, 21, 3 * SEC);
	assert_int_equal(fh_ptable_parent(t, p)->start_ns, 2 * SEC);

	/*
	 * A parent not named by its start (the child came first): the lifetime of the ppid
	 * that was running when the child started, not a later or an earlier one.
	 */
	apply(t, ev_exec(31, 5 * SEC, 30, "/kid", "kid", 4), 5 * SEC);
	apply(t, ev_exec(30, 1 * SEC, 0, "/old", "old", 4), 5 * SEC);
	apply(t, ev_exit(30, 1 * SEC, 6 * SEC, 0), 6 * SEC);
	apply(t, ev_exec(30, 7 * SEC, 0, "/new", "new", 4), 7 * SEC);
	p = must_find(t, 31, 5 * SEC);
	assert_int_equal(p->parent_start_ns, 0);
	assert_string_equal(fh_ptable_parent(t, p)->exe, "/old");
	apply(t, ev_exec(41, 5 * SEC, 40, "/kid", "kid", 4), 5 * SEC);
	apply(t, ev_exec(40, 1 * SEC, 0, "/gone", "gone", 5), 5 * SEC);
	apply(t, ev_exit(40, 1 * SEC, 2 * SEC, 0), 6 * SEC); /* exited before 41 started */
	assert_null(fh_ptable_parent(t, must_find(t, 41, 5 * SEC)));
	fh_ptable_free(t);
}

static void test_ancestry_cycles(void **state)
{
	struct fh_ptable *t = fh_ptable_new(NULL);
	const struct fh_proc *ret[16];
	struct fh_event ev;

	(void)state;
	/* 50 <-> 51, same start: only the equal-start check can see the loop. */
	apply(t, ev_exec(50, 1 * SEC, 51, "/a", "a", 2), 1 * SEC);
	apply(t, ev_exec(51, 1 * SEC, 50, "/b", "b", 2), 1 * SEC);
	assert_int_equal(fh_ptable_ancestry(t, must_find(t, 50, 1 * SEC), ret, 16), 1);
	assert_int_equal(ret[0]->pid, 51);

	/* 80 -> 81 -> 82 -> 80, all in one tick, each naming its parent's start. */
	ev = ev_exec(80, 2 * SEC, 81, "/c", "c", 2);
	ev.parent_start_ns = 2 * SEC + 1;
	apply(t, ev, 2 * SEC);
	ev = ev_exec(81, 2 * SEC + 1, 82, "/c", "c", 2);
	ev.parent_start_ns = 2 * SEC + 2;
	apply(t, ev, 2 * SEC);
	ev = ev_exec(82, 2 * SEC + 2, 80, "/c", "c", 2);
	ev.parent_start_ns = 2 * SEC;
	apply(t, ev, 2 * SEC);
	assert_int_equal(fh_ptable_ancestry(t, must_find(t, 81, 2 * SEC + 1), ret, 16), 2);
	assert_int_equal(ret[0]->pid, 82);
	assert_int_equal(ret[1]->pid, 80);

	/* 62 -> 61 -> 60 -> 61: 61 claims to be 60's parent but started after it. */
	ev = ev_exec(60, 3 * SEC, 61, "/d", "d", 2);
	ev.parent_start_ns = 4 * SEC;
	apply(t, ev, 3 * SEC);
	apply(t, ev_exec(61, 4 * SEC, 60, "/d", "d", 2), 4 * SEC);
	apply(t, ev_fork(62, 5 * SEC, 61, 4 * SEC, 0), 5 * SEC);
	assert_int_equal(fh_ptable_ancestry(t, must_find(t, 62, 5 * SEC), ret, 16), 2);
	assert_int_equal(ret[0]->pid, 61);
	assert_int_equal(ret[1]->pid, 60);

	/* 90 -> 91 <-> 92: a loop p is not part of, entered from a later tick. */
	ev = ev_exec(91, 7 * SEC, 92, "/f", "f", 2);
	ev.parent_start_ns = 7 * SEC + 1;
	apply(t, ev, 7 * SEC);
	ev = ev_exec(92, 7 * SEC + 1, 91, "/f", "f", 2);
	ev.parent_start_ns = 7 * SEC;
	apply(t, ev, 7 * SEC);
	apply(t, ev_fork(90, 8 * SEC, 91, 7 * SEC, 0), 8 * SEC);
	assert_int_equal(fh_ptable_ancestry(t, must_find(t, 90, 8 * SEC), ret, 16), 2);
	assert_int_equal(ret[0]->pid, 91);
	assert_int_equal(ret[1]->pid, 92);

	/* Its own parent. */
	apply(t, ev_exec(70, 6 * SEC, 70, "/e", "e", 2), 6 * SEC);
	assert_null(fh_ptable_parent(t, must_find(t, 70, 6 * SEC)));
	assert_int_equal(fh_ptable_ancestry(t, must_find(t, 70, 6 * SEC), ret, 16), 0);
	fh_ptable_free(t);
}

static void test_coarse_start(void **state)
{
	struct fh_ptable *t = fh_ptable_new(NULL);
	const uint64_t seeded = 123 * TICK; /* /proc: floored to a tick */
	const struct fh_proc *p;

	(void)state;
	apply(t, ev_seed(500, seeded, 1, "/usr/sbin/cron"), 1);
	apply(t, ev_seed(501, seeded, 1, "/usr/sbin/atd"), 1);
	p = must_find(t, 500, seeded);
	assert_int_equal(p->flags & (FH_PROC_SEEDED | FH_PROC_COARSE | FH_PROC_EXECED),
			 FH_PROC_SEEDED | FH_PROC_COARSE | FH_PROC_EXECED);

	/* The exact start, later in the same tick, names the seeded entry. */
	assert_ptr_equal(fh_ptable_lookup(t, 500, seeded + TICK - 1), p);
	apply(t, ev_exit(500, seeded + 4567891, 2 * SEC, 0), 2 * SEC);
	assert_true(p->flags & FH_PROC_EXITED);
	assert_int_equal(stats(t).exits, 1);

	/* The next tick is another process. */
	assert_null(fh_ptable_lookup(t, 501, seeded + TICK));
	apply(t, ev_exit(501, seeded + TICK, 2 * SEC, 0), 2 * SEC);
	assert_false(must_find(t, 501, seeded)->flags & FH_PROC_EXITED);
	assert_int_equal(stats(t).exit_unknown, 1);

	/* Two exact starts never match by tick. */
	apply(t, ev_exec(502, seeded + 5, 1, "/bin/x", "x", 2), 3 * SEC);
	assert_null(fh_ptable_lookup(t, 502, seeded + 6));
	assert_null(fh_ptable_lookup(t, 502, seeded));

	/* A seed read after the fact does not override an exact exec of the same process. */
	apply(t, ev_seed(502, seeded, 1, "/bin/other"), 4 * SEC);
	p = must_find(t, 502, seeded + 5);
	assert_string_equal(p->exe, "/bin/x");
	assert_false(p->flags & (FH_PROC_SEEDED | FH_PROC_COARSE));
	assert_int_equal(stats(t).entries, 3);

	/* The child of a coarse parent finds it by the exact start of its own event. */
	apply(t, ev_fork(503, 5 * SEC, 501, seeded + 777, 0), 5 * SEC);
	p = must_find(t, 503, 5 * SEC);
	assert_string_equal(p->exe, "/usr/sbin/atd");
	assert_int_equal(fh_ptable_parent(t, p)->pid, 501);
	fh_ptable_free(t);
}

static void test_lookup_counters(void **state)
{
	struct fh_ptable *t = fh_ptable_new(NULL);
	struct fh_ptable_stats st;

	(void)state;
	apply(t, ev_exec(5, 100, 1, "/bin/sh", "sh", 3), 100);
	must_find(t, 5, 100);
	must_find(t, 5, 0);
	assert_null(fh_ptable_lookup(t, 5, 101));
	assert_null(fh_ptable_lookup(t, 6, 0));
	assert_null(fh_ptable_lookup(t, 6, 100));
	/* fh_ptable_parent is not a lookup. */
	fh_ptable_parent(t, must_find(t, 5, 100));
	st = stats(t);
	assert_int_equal(st.lookups, 6);
	assert_int_equal(st.misses, 3);
	fh_ptable_free(t);
}

static void test_args_exact_bytes(void **state)
{
	struct fh_ptable *t = fh_ptable_new(NULL);
	uint8_t argv[512];
	const struct fh_proc *p;
	struct fh_event ev;

	(void)state;
	for (size_t k = 0; k < sizeof(argv); k++)
		argv[k] = (uint8_t)(k * 7 + 3) ^ (k & 1 ? 0 : 0xff);
	argv[0] = 0;
	argv[100] = 0xff;
	argv[sizeof(argv) - 1] = 0;
	ev = ev_exec(7, 100, 1, "/usr/bin/printf", argv, sizeof(argv));
	apply(t, ev, 100);
	memset(argv, 0, sizeof(argv)); /* the producer's buffer is gone after the call */

	p = must_find(t, 7, 100);
	assert_int_equal(p->args_len, sizeof(argv));
	for (size_t k = 0; k < sizeof(argv); k++) {
		uint8_t want = (uint8_t)(k * 7 + 3) ^ (k & 1 ? 0 : 0xff);

		if (k == 0 || k == sizeof(argv) - 1)
			want = 0;
		if (k == 100)
			want = 0xff;
		assert_int_equal(p->args[k], want);
	}

	/* A known empty argv is not an unknown one. */
	apply(t, ev_exec(8, 100, 1, "/x", argv, 0), 100);
	p = must_find(t, 8, 100);
	assert_non_null(p->args);
	assert_int_equal(p->args_len, 0);
	fh_ptable_free(t);
}

static void test_exe_interning(void **state)
{
	struct fh_ptable_limits lim = { .max_entries = 64, .grace_ns = 10, .tick_ns = TICK };
	struct fh_ptable *t = fh_ptable_new(&lim), *t2;
	const char *paths[] = { "/usr/bin/a", "/usr/bin/b", "/usr/bin/c" };
	uint64_t empty = stats(t).bytes;
	const struct fh_proc *first[3];

	(void)state;
	for (uint32_t k = 0; k < 30; k++) {
		char path[32], arg[16];

		/* A fresh buffer each time: equal pointers below come from interning. */
		snprintf(path, sizeof(path), "%s", paths[k % 3]);
		snprintf(arg, sizeof(arg), "arg%u", k);
		apply(t, ev_exec(10 + k, 10 + k, 1, path, arg, strlen(arg) + 1), 10 + k);
	}
	assert_int_equal(stats(t).exe_interned, 3);
	for (uint32_t k = 0; k < 3; k++)
		first[k] = must_find(t, 10 + k, 10 + k);
	for (uint32_t k = 0; k < 30; k++) {
		const struct fh_proc *p = must_find(t, 10 + k, 10 + k);

		assert_ptr_equal(p->exe, first[k % 3]->exe);
		assert_string_equal(p->exe, paths[k % 3]);
	}
	assert_true(stats(t).bytes > empty + 30 * (5 + sizeof(struct fh_proc)));

	/* Paths and argv are freed with their last entry. */
	for (uint32_t k = 0; k < 30; k++)
		apply(t, ev_exit(10 + k, 10 + k, 100, 0), 100);
	fh_ptable_expire(t, 111);
	assert_int_equal(stats(t).entries, 0);
	assert_int_equal(stats(t).exe_interned, 0);
	/* What remains is the table's own structure, as in a table that never held an image. */
	t2 = fh_ptable_new(&lim);
	apply(t2, ev_exec(1, 1, 0, NULL, NULL, 0), 1);
	apply(t2, ev_exit(1, 1, 1, 0), 1);
	fh_ptable_expire(t2, 100);
	assert_int_equal(stats(t2).entries, 0);
	assert_int_equal(stats(t).bytes, stats(t2).bytes);
	fh_ptable_free(t2);
	fh_ptable_free(t);
}

/* The proc connector's events: coarse starts, start 0 for "the live one", NO_ID ids. */
static void test_proc_connector(void **state)
{
	struct fh_ptable *t = fh_ptable_new(NULL);
	const uint32_t none = (uint32_t)-1;
	const struct fh_proc *p;
	struct fh_event ev;

	(void)state;
	apply(t, ev_exec(100, 1 * SEC, 0, "/usr/bin/bash", BASH_ARGV, sizeof(BASH_ARGV)), 1 * SEC);

	ev = ev_fork(101, 2 * SEC + TICK / 2, 100, 0, none);
	ev.source = FH_SRC_PROCCONN;
	ev.start_ns -= ev.start_ns % TICK;
	ev.start_coarse = true;
	ev.euid = ev.gid = ev.egid = ev.loginuid = ev.sessionid = none;
	apply(t, ev, 2 * SEC + TICK);
	p = must_find(t, 101, 2 * SEC + TICK / 2); /* the exact start, if one comes */
	assert_true(p->flags & FH_PROC_COARSE);
	assert_int_equal(p->uid, 1000); /* unknown in the event: the parent's */
	assert_int_equal(p->loginuid, 1000);
	assert_string_equal(p->exe, "/usr/bin/bash");

	ev = (struct fh_event){ .type = FH_EV_UID, .source = FH_SRC_PROCCONN, .pid = 101 };
	ev.uid = ev.euid = 0;
	ev.gid = ev.egid = none;
	apply(t, ev, 3 * SEC);
	assert_int_equal(p->uid, 0);
	assert_int_equal(p->euid, 0);
	assert_int_equal(p->gid, 1000);
	ev.pid = 555;
	apply(t, ev, 3 * SEC);
	assert_int_equal(stats(t).entries, 2);

	/* An exec whose process was gone before /proc was read: the image is now unknown. */
	ev = ev_exec(101, 0, 0, NULL, NULL, 0);
	ev.source = FH_SRC_PROCCONN;
	ev.uid = ev.euid = ev.gid = ev.egid = ev.loginuid = ev.sessionid = none;
	ev.incomplete = FH_INC_PROC_GONE | FH_INC_PROC_RACY;
	apply(t, ev, 4 * SEC);
	assert_null(p->exe);
	assert_null(p->args);
	assert_true(p->flags & FH_PROC_INCOMPLETE);
	assert_int_equal(p->uid, 0);
	assert_int_equal(p->loginuid, 1000);
	assert_int_equal(p->ppid, 100);

	apply(t, ev_exit(101, 0, 5 * SEC, 0), 5 * SEC);
	assert_true(p->flags & FH_PROC_EXITED);
	assert_int_equal(stats(t).exits, 1);
	assert_int_equal(stats(t).exit_unknown, 0);
	fh_ptable_free(t);
}

static void test_bad_type(void **state)
{
	struct fh_ptable *t = fh_ptable_new(NULL);
	struct fh_event ev = { 0 };

	(void)state;
	ev.type = (enum fh_ev_type)42;
	assert_int_equal(fh_ptable_apply(t, &ev, 1), -EINVAL);
	assert_int_equal(stats(t).entries, 0);
	fh_ptable_free(t);
	fh_ptable_free(NULL);
}

/*
 * 100k processes with distinct ~30-byte argv and 5 executables. The bound, per entry:
 * the public struct fh_proc (120 bytes) + 12 bytes of links + at most 4 of pid hash +
 * one allocation of 4 + 30 bytes argv (48 with malloc's rounding) = 184; chunk slack
 * and the rest of the table are well under 16 more. So < 200 bytes per entry.
 */
static void test_memory_100k(void **state)
{
	const uint32_t n = 100000;
	struct fh_ptable *t = fh_ptable_new(NULL);
	struct fh_ptable_stats st;
	char exes[5][32];

	(void)state;
	for (int k = 0; k < 5; k++)
		snprintf(exes[k], sizeof(exes[k]), "/usr/lib/tool%d/bin/run", k);
	for (uint32_t k = 0; k < n; k++) {
		char argv[40];
		int len = snprintf(argv, sizeof(argv), "run%c--job-id=%08u%c--fast1", 0,
				   k * 7919u % 100000000u, 0);

		assert_int_equal(len, 29);
		apply(t, ev_exec(1000 + k, 1000 + k, 1, exes[k % 5], argv, (size_t)len + 1),
		      1000 + k);
	}
	st = stats(t);
	assert_int_equal(st.entries, n);
	assert_int_equal(st.live, n);
	assert_int_equal(st.exe_interned, 5);
	print_message("proc table: %llu bytes for %u entries, %llu per entry\n",
		      (unsigned long long)st.bytes, n, (unsigned long long)(st.bytes / n));
	assert_true(st.bytes / n < 200);
	/* And the estimate is not flattering itself: it holds at least the structs and argv. */
	assert_true(st.bytes / n >= sizeof(struct fh_proc) + 30);

	for (uint32_t k = 0; k < n; k += 9973) {
		const struct fh_proc *p = must_find(t, 1000 + k, 1000 + k);
		char want[40];

		snprintf(want, sizeof(want), "run%c--job-id=%08u%c--fast1", 0,
			 k * 7919u % 100000000u, 0);
		assert_args(p, want, 30);
		assert_string_equal(p->exe, exes[k % 5]);
	}
	fh_ptable_free(t);
}

/* An exec whose details were lost leaves no stale image or name behind. */
static void test_exec_gone_clears_image(void **state)
{
	struct fh_ptable *t = fh_ptable_new(NULL);
	struct fh_event ev = ev_exec(500, 10 * SEC, 1, "/usr/bin/python3", "python3", 8);
	const struct fh_proc *p;

	(void)state;
	assert_int_equal(fh_ptable_apply(t, &ev, 10 * SEC), 0);
	/* The proc connector saw an exec but /proc was gone: ids only, no comm. */
	ev = ev_exec(500, 0, 1, NULL, NULL, 0);
	ev.source = FH_SRC_PROCCONN;
	ev.incomplete = FH_INC_PROC_GONE | FH_INC_PROC_RACY;
	ev.gid = ev.euid = ev.egid = (uint32_t)-1;
	assert_int_equal(fh_ptable_apply(t, &ev, 11 * SEC), 0);
	p = fh_ptable_lookup(t, 500, 0);
	assert_non_null(p);
	assert_null(p->exe);
	assert_null(p->args);
	assert_string_equal(p->comm, "");
	assert_true(p->flags & FH_PROC_NO_IMAGE);
	assert_true(p->incomplete & FH_INC_PROC_GONE);
	fh_ptable_free(t);
}

/* Paths and argv are bounded in bytes: long argv evicts the oldest exited entries first. */
static void test_max_bytes(void **state)
{
	struct fh_ptable_limits lim = { .max_entries = 1000,
					.max_bytes = 100 * 1024,
					.grace_ns = 3600 * SEC,
					.tick_ns = TICK };
	struct fh_ptable *t = fh_ptable_new(&lim);
	static uint8_t argv[10 * 1024];
	struct fh_ptable_stats st;

	(void)state;
	memset(argv, 'a', sizeof(argv));
	/* 5 live processes, then 20 that exit: 25 x 10 KiB of argv against a 100 KiB cap. */
	for (uint32_t pid = 100; pid < 125; pid++) {
		struct fh_event ev = ev_exec(pid, pid * SEC, 1, "/bin/x", argv, sizeof(argv));

		assert_int_equal(fh_ptable_apply(t, &ev, pid * SEC), 0);
		if (pid >= 105) {
			ev = ev_exit(pid, pid * SEC, pid * SEC + 1, 0);
			assert_int_equal(fh_ptable_apply(t, &ev, pid * SEC + 1), 0);
		}
	}
	fh_ptable_get_stats(t, &st);
	assert_true(st.bytes < 100 * 1024 + 64 * 1024); /* argv bounded; fixed costs aside */
	assert_int_equal(st.evicted_live, 0);
	assert_true(st.evicted_exited >= 15);
	/* The live ones and the newest exited ones survive. */
	for (uint32_t pid = 100; pid < 105; pid++)
		assert_non_null(fh_ptable_lookup(t, pid, pid * SEC));
	assert_non_null(fh_ptable_lookup(t, 124, 124 * SEC));
	assert_null(fh_ptable_lookup(t, 105, 105 * SEC));
	fh_ptable_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_inherits_image),
		cmocka_unit_test(test_exec_replaces_image),
		cmocka_unit_test(test_exec_gone_clears_image),
		cmocka_unit_test(test_max_bytes),
		cmocka_unit_test(test_pid_reuse_exit_missed),
		cmocka_unit_test(test_pid_reuse_exit_seen),
		cmocka_unit_test(test_grace_period),
		cmocka_unit_test(test_eviction_order),
		cmocka_unit_test(test_ancestry),
		cmocka_unit_test(test_ancestry_cycles),
		cmocka_unit_test(test_coarse_start),
		cmocka_unit_test(test_lookup_counters),
		cmocka_unit_test(test_args_exact_bytes),
		cmocka_unit_test(test_exe_interning),
		cmocka_unit_test(test_proc_connector),
		cmocka_unit_test(test_bad_type),
		cmocka_unit_test(test_memory_100k),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

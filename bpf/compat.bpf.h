/* compat.bpf.h - small CO-RE helpers that hide kernel-version differences from procmon.bpf.c. */
#ifndef FH_COMPAT_BPF_H
#define FH_COMPAT_BPF_H

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((void *)(ptr) - __builtin_offsetof(type, member)))
#endif

/* task_struct before 5.5: the same CLOCK_BOOTTIME start under its old name. */
struct task_struct___pre_5_5 {
	u64 real_start_time;
} __attribute__((preserve_access_index));

/*
 * The start time that identifies a process: its thread-group leader's start in
 * CLOCK_BOOTTIME ns, the clock /proc/PID/stat reports in ticks. Kernel commit
 * cf25e24db61c (Linux 5.5) renamed real_start_time to start_boottime; CO-RE picks whichever
 * this kernel has.
 */
static __always_inline __u64 fh_task_start_ns(struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	struct task_struct___pre_5_5 *old = (void *)leader;

	if (bpf_core_field_exists(leader->start_boottime))
		return BPF_CORE_READ(leader, start_boottime);
	return BPF_CORE_READ(old, real_start_time);
}

/*
 * Audit login uid and session id: present only with CONFIG_AUDIT (task_struct.loginuid).
 * (u32)-1 means "unset", as the kernel itself reports in /proc/PID/loginuid.
 */
static __always_inline void fh_task_audit(struct task_struct *task, __u32 *loginuid,
					  __u32 *sessionid)
{
	*loginuid = (__u32)-1;
	*sessionid = (__u32)-1;
	if (bpf_core_field_exists(task->loginuid)) {
		*loginuid = BPF_CORE_READ(task, loginuid.val);
		*sessionid = BPF_CORE_READ(task, sessionid);
	}
}

/*
 * Whether this exiting task is the last of its thread group. signal->live is decremented
 * in do_exit() before trace_sched_process_exit fires. Recent kernels also pass group_dead
 * as a tracepoint argument; it is not used here, so that older kernels load the program.
 */
static __always_inline bool fh_task_group_dead(struct task_struct *task)
{
	return BPF_CORE_READ(task, signal, live.counter) == 0;
}

#endif /* FH_COMPAT_BPF_H */

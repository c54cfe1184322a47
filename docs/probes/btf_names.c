/*
 * btf_names.c: question 14, which versions of do_exit's and cgroup.procs'
 * code this kernel was built from, read off the type names in its BTF
 * (/sys/kernel/btf/vmlinux holds every struct member and enum constant
 * name of the running kernel).
 *
 *  - signal_struct.quick_threads: synchronize_group_exit's counter (6.0+;
 *    Oleg Nesterov's 2024 patch "exit: kill signal_struct->quick_threads"
 *    would remove it and decrement signal->live at do_exit's entry instead);
 *  - enum cgroup_attach_lock_mode, CGRP_ATTACH_LOCK_PER_THREADGROUP and
 *    signal_struct.cgroup_threadgroup_rwsem: the 2025 per-threadgroup rwsem
 *    series (Yi Tao), which also moved cgroup_procs_write_start's pid lookup
 *    before cgroup_attach_lock (with retry_find_task after it);
 *  - delayed_leader: a rejected 2025 pidfs variant (pid->delayed_leader);
 *    pidfd_poll uses delay_group_leader() instead.
 *
 * And the cgroup2 mount's options (favordynmods or not).
 *
 * Reads two files; writes nothing, creates no process or cgroup.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	static const char *names[] = {
		"quick_threads", "cgroup_attach_lock_mode", "CGRP_ATTACH_LOCK_PER_THREADGROUP",
		"CGRP_ATTACH_LOCK_GLOBAL", "CGRP_ROOT_FAVOR_DYNMODS", "cgroup_threadgroup_rwsem",
		"delayed_leader",
	};
	FILE *f = fopen("/sys/kernel/btf/vmlinux", "rb");
	if (!f) {
		printf("FACT btf: unreadable\n");
		return 0;
	}
	size_t cap = 1 << 24, n = 0, r;
	char *buf = malloc(cap);
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap && !(buf = realloc(buf, cap *= 2)))
			break;
	}
	fclose(f);
	if (!buf)
		return 2;
	printf("FACT btf_bytes: %zu\n", n);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		/* a whole NUL-terminated name in the BTF string section */
		size_t l = strlen(names[i]) + 1;
		const char *p = buf, *hit = NULL;
		while ((p = memmem(p, n - (p - buf), names[i], l)) != NULL) {
			if (p == buf || p[-1] == 0) {
				hit = p;
				break;
			}
			p++;
		}
		printf("FACT btf.%s: %s\n", names[i], hit ? "present" : "absent");
	}
	free(buf);

	/* the cgroup2 mount's super options: favordynmods selects the
	 * per-threadgroup rwsem (cgroup_enable_per_threadgroup_rwsem) */
	char line[4096];
	FILE *m = fopen("/proc/self/mountinfo", "r");
	while (m && fgets(line, sizeof line, m)) {
		char *sep = strstr(line, " - cgroup2 ");
		if (sep) {
			line[strcspn(line, "\n")] = 0;
			printf("FACT cgroup2_mount: %s\n", sep + 3);
		}
	}
	if (m)
		fclose(m);
	return 0;
}

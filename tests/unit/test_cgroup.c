// SPDX-License-Identifier: GPL-2.0-or-later
/* cgroup_container_id, cgroup_v2_path: which container a host-network
 * socket's process is in, from its /proc/PID/cgroup. */
#include <string.h>

#include "egressd/cgroup.h"
#include "util.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static const char *cid(const char *text)
{
	static char out[CGROUP_CID_LEN + 1];

	return cgroup_container_id(text, strlen(text), out) ? "-" : out;
}

START_TEST(docker_cgroupfs_v1_hybrid)
{
	/* this machine: cgroup v1 controllers, v2 unified beside them */
	ck_assert_str_eq(cid("9:name=systemd:/docker/" ID "\n"
			     "4:memory:/docker/" ID "\n0::/docker/" ID "\n"),
			 ID);
}
END_TEST

START_TEST(systemd_scopes_of_runtimes)
{
	ck_assert_str_eq(cid("0::/system.slice/docker-" ID ".scope\n"), ID);
	ck_assert_str_eq(cid("0::/system.slice/cri-containerd-" ID ".scope\n"),
			 ID);
	ck_assert_str_eq(
	    cid("0::/machine.slice/libpod-" ID ".scope/container\n"), ID);
	ck_assert_str_eq(cid("0::/kubepods.slice/kubepods-burstable.slice/"
			     "kubepods-burstable-pod1a2b3c4d_5e6f.slice/"
			     "crio-" ID ".scope"),
			 ID);
}
END_TEST

START_TEST(kubelet_cgroupfs_and_nesting)
{
	ck_assert_str_eq(cid("3:cpu:/kubepods/burstable/"
			     "pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d/" ID
			     "\n"),
			 ID);
	/* docker in docker: the inner container is the one that sent */
	ck_assert_str_eq(cid("0::/docker/" ID "/docker/" ID2 "\n"), ID2);
}
END_TEST

START_TEST(host_processes_have_none)
{
	ck_assert_str_eq(cid("0::/\n"), "-");
	ck_assert_str_eq(cid("0::/user.slice/user-1000.slice/session-3.scope\n"
			     "1:name=systemd:/user.slice\n"),
			 "-");
	ck_assert_str_eq(
	    cid("4:memory:/process_api/96df04f75e4331d5362d593afdb87939\n"),
	    "-");
	/* 63 and 65 digits, upper case, a pod uid */
	ck_assert_str_eq(cid("0::/docker/" ID "0\n"), "-");
	ck_assert_str_eq(cid("0::/docker/"
			     "0123456789abcdef0123456789abcdef"
			     "0123456789abcdef0123456789abcde\n"),
			 "-");
	ck_assert_str_eq(cid("0::/docker/0123456789ABCDEF0123456789ABCDEF"
			     "0123456789ABCDEF0123456789ABCDEF\n"),
			 "-");
	ck_assert_str_eq(cid(""), "-");
	ck_assert_str_eq(cid("garbage without colons " ID), "-");
}
END_TEST

START_TEST(every_truncation_is_safe)
{
	const char *t = "4:memory:/docker/" ID "\n0::/docker/" ID "\n";
	char out[CGROUP_CID_LEN + 1];
	size_t n = strlen(t);

	/* Only lengths that hold a whole id on one line find it. */
	for (size_t i = 0; i <= n; i++) {
		int r = cgroup_container_id(t, i, out);
		ck_assert_int_eq(r, i >= 17 + CGROUP_CID_LEN ? 0 : -ENOENT);
	}
}
END_TEST

START_TEST(v2_path)
{
	const char *t = "4:memory:/docker/x\n0::/docker/" ID "\n";
	char out[128], small[8];

	ck_assert_int_eq(cgroup_v2_path(t, strlen(t), out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/docker/" ID);
	ck_assert_int_eq(cgroup_v2_path(t, strlen(t), small, sizeof(small)),
			 -ENAMETOOLONG);
	ck_assert_int_eq(cgroup_v2_path("4:memory:/x\n", 12, out, sizeof(out)),
			 -ENOENT);
	ck_assert_int_eq(cgroup_v2_path("0::/", 4, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("cgroup");
	ADD(tc, docker_cgroupfs_v1_hybrid);
	ADD(tc, systemd_scopes_of_runtimes);
	ADD(tc, kubelet_cgroupfs_and_nesting);
	ADD(tc, host_processes_have_none);
	ADD(tc, every_truncation_is_safe);
	ADD(tc, v2_path);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)

// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "egressd/oci.h"
#include "util.h"

/* A Kubernetes app container's config.json, trimmed to what egressd reads
 * (the shape containerd's CRI plugin writes). */
static const char *cri_app =
	"{\"ociVersion\":\"1.1.0\","
	" \"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"xmrig\"]},"
	" \"root\":{\"path\":\"rootfs\"},"
	" \"annotations\":{"
	"  \"io.kubernetes.cri.container-type\":\"container\","
	"  \"io.kubernetes.cri.container-name\":\"worker\","
	"  \"io.kubernetes.cri.image-name\":\"registry.test/app/worker:1.4\","
	"  \"io.kubernetes.cri.sandbox-id\":\"5e1b0c\","
	"  \"io.kubernetes.cri.sandbox-name\":\"worker-7d4b9c-x2x\","
	"  \"io.kubernetes.cri.sandbox-namespace\":\"prod\"},"
	" \"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
	"  {\"type\":\"network\",\"path\":\"/var/run/netns/cni-0a1b2c\"},"
	"  {\"type\":\"mount\"}],"
	"  \"cgroupsPath\":\"kubepods-besteffort.slice:cri-containerd:9f8e\"}}";

START_TEST(cri_container_named_by_pod)
{
	struct container c;

	ck_assert_int_eq(oci_parse_config(cri_app, "9f8e7d", &c), 0);
	ck_assert_str_eq(c.id, "9f8e7d");
	ck_assert_str_eq(c.name, "prod/worker-7d4b9c-x2x/worker");
	ck_assert_str_eq(c.image, "registry.test/app/worker:1.4");
	ck_assert_str_eq(c.runtime, "cri");
	ck_assert_str_eq(c.netns, "/var/run/netns/cni-0a1b2c");
}
END_TEST

START_TEST(sandbox_skipped_plain_containerd_named_by_id)
{
	struct container c;
	const char *sandbox = "{\"ociVersion\":\"1.1.0\",\"annotations\":{"
			      "\"io.kubernetes.cri.container-type\":\"sandbox\"}}";
	const char *plain = "{\"ociVersion\":\"1.0.2\",\"linux\":{\"namespaces\":"
			    "[{\"type\":\"network\"}]}}";

	ck_assert_int_eq(oci_parse_config(sandbox, "aa", &c), -EAGAIN);
	ck_assert_int_eq(oci_parse_config(plain, "bb11", &c), 0);
	ck_assert_str_eq(c.name, "bb11");
	ck_assert_str_eq(c.runtime, "containerd");
	ck_assert_str_eq(c.netns, ""); /* its own: /proc/PID/ns/net */
}
END_TEST

START_TEST(not_an_oci_config)
{
	struct container c;

	ck_assert_int_eq(oci_parse_config("[]", "x", &c), -EINVAL);
	ck_assert_int_eq(oci_parse_config("{\"a\":1}", "x", &c), -EINVAL);
	ck_assert_int_eq(oci_parse_config("{\"ociVersion\":", "x", &c), -EINVAL);
	for (size_t n = 0; n < strlen(cri_app); n++) {
		char *t = strndup(cri_app, n);
		ck_assert_int_eq(oci_parse_config(t, "x", &c), -EINVAL);
		free(t);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("oci");
	TCase *tc = tcase_create("core");
	ADD(tc, cri_container_named_by_pod);
	ADD(tc, sandbox_skipped_plain_containerd_named_by_id);
	ADD(tc, not_an_oci_config);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)

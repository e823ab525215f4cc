// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/nft.h"

#include <stdlib.h>
#include "egressd/addr.h"

#include <errno.h>
#include <netinet/in.h> /* before the linux/ headers: libc-compat */
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egressd/policy.h"
#include "egressd/fileio.h"

#define TABLE "egressd"
#define QUEUE_CHAIN "to_queue"

/* Runs nft commands through libnftables; its error text goes to err, its
 * output (if out) to out. */
static int nft_query(const char *cmds, char *out, size_t outlen, char *err,
		     size_t errlen)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *msg;
	int r;

	if (!ctx) {
		snprintf(err, errlen, "cannot create an nftables context");
		return -ENOMEM;
	}
	nft_ctx_buffer_error(ctx);
	nft_ctx_buffer_output(ctx);
	r = nft_run_cmd_from_buffer(ctx, cmds);
	if (r) {
		msg = nft_ctx_get_error_buffer(ctx);
		snprintf(err, errlen, "%s", msg && *msg ? msg : "nft failed");
	} else if (out) {
		msg = nft_ctx_get_output_buffer(ctx);
		snprintf(out, outlen, "%s", msg ? msg : "");
	}
	nft_ctx_free(ctx);
	return r ? -EINVAL : 0;
}


static int nft_run(const char *cmds, char *err, size_t errlen)
{
	return nft_query(cmds, NULL, 0, err, errlen);
}

/* The shipped ruleset defines the mark variables with egressd's defaults,
 * so that it is valid nft on its own (`nft -c -f egressd.nft`); egressd
 * blanks those lines and puts its configured values in defines of its own
 * in front (a second define of a name is an error in nft; libnftables'
 * nft_ctx_add_var applies to files only, not to a buffer). Every
 * variable must have its define line: a ruleset without one is refused. */
static int defines_strip(char *text, const char *const *names, size_t n,
			 char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		char want[32];
		char *p = text, *hit = NULL;
		snprintf(want, sizeof(want), "define %s =", names[i]);
		while ((p = strstr(p, want))) {
			if (p == text || p[-1] == '\n')
				hit = p;
			p += strlen(want);
		}
		if (!hit) {
			snprintf(err, errlen, "the ruleset has no line "
				 "'define %s = ...'", names[i]);
			return -EINVAL;
		}
		while (*hit && *hit != '\n')
			*hit++ = ' ';
	}
	return 0;
}

/* "add element FAMILY egressd SET { "a", "b" }" for each isolation set. */
static int isolation_cmds(const char *const *ifs, size_t n, bool add,
			  char *out, size_t len)
{
	static const char *const sets[] = { "bridge egressd isolated_ports",
					    "inet egressd isolated_ifs" };
	size_t o = 0;

	for (size_t s = 0; s < 2 && n; s++) {
		o += (size_t)snprintf(out + o, len - o, "%s element %s { ",
				      add ? "add" : "delete", sets[s]);
		for (size_t i = 0; i < n && o < len; i++)
			o += (size_t)snprintf(out + o, len - o, "%s\"%s\"",
					      i ? ", " : "", ifs[i]);
		if (o < len)
			o += (size_t)snprintf(out + o, len - o, " }\n");
	}
	if (o >= len)
		return -E2BIG;
	return 0;
}

int nft_ruleset_load(const char *path, const struct nft_marks *m,
		     const char *const *isolated, size_t nisolated, char *err,
		     size_t errlen)
{
	static const char *const names[] = { "MASK", "ALLOW", "BLOCK", "IN" };
	const uint32_t vals[] = { m->mask, m->allow, m->block, m->in };
	char *text, defs[4 * 40] = "", *extra = NULL;
	size_t len, xl = 64 + nisolated * 40, o = 0;
	int r;

	r = file_read_all(path, &text, &len);
	if (r) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < 4; i++)
		o += (size_t)snprintf(defs + o, sizeof(defs) - o,
				      "define %s = 0x%08x\n", names[i], vals[i]);
	r = defines_strip(text, names, 4, err, errlen);
	if (!r && !(extra = calloc(1, 2 * xl)))
		r = -ENOMEM;
	if (!r)
		r = isolation_cmds(isolated, nisolated, true, extra, 2 * xl);
	if (!r) {
		char *all = malloc(strlen(defs) + strlen(text) + strlen(extra) + 2);
		if (!all) {
			r = -ENOMEM;
		} else {
			sprintf(all, "%s%s\n%s", defs, text, extra);
			r = nft_run(all, err, errlen);
			free(all);
		}
	}
	free(extra);
	free(text);
	return r;
}

int nft_isolate(const char *ifname, bool add, char *err, size_t errlen)
{
	char cmd[512];
	int r = isolation_cmds(&ifname, 1, add, cmd, sizeof(cmd));

	if (r)
		return r;
	if (add)
		return nft_run(cmd, err, errlen);
	/* Delete from each set on its own, "not there" ignored: an element
	 * already gone from one must not keep it in the other. */
	char *nl = strchr(cmd, '\n');
	*nl = 0;
	(void)nft_run(cmd, err, errlen);
	(void)nft_run(nl + 1, err, errlen);
	return 0;
}

static struct nftnl_expr *queue_expr(const struct nft_queue_cfg *q,
				     enum nft_queue_kind kind)
{
	struct nftnl_expr *e;

	if (kind == NFT_QUEUE_NATIVE) {
		uint16_t flags = (q->fail_open ? NFT_QUEUE_FLAG_BYPASS : 0) |
				 (q->count > 1 ? NFT_QUEUE_FLAG_CPU_FANOUT : 0);
		e = nftnl_expr_alloc("queue");
		if (!e)
			return NULL;
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, q->first);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, q->count);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, flags);
		return e;
	}
	/* xt NFQUEUE revision 3 through nft_compat. Without CPU fanout the
	 * kernel hashes flows over the queues, keeping a flow on one. */
	struct xt_NFQ_info_v3 *info = calloc(1, sizeof(*info));
	if (!info)
		return NULL;
	info->queuenum = q->first;
	info->queues_total = q->count;
	info->flags = q->fail_open ? NFQ_FLAG_BYPASS : 0;
	e = nftnl_expr_alloc("target");
	if (!e) {
		free(info);
		return NULL;
	}
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	/* libnftnl takes ownership of the info buffer. */
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info));
	return e;
}

typedef void (*nlmsg_fill_fn)(struct nlmsghdr *nlh, void *obj);

static void fill_rule(struct nlmsghdr *nlh, void *obj)
{
	nftnl_rule_nlmsg_build_payload(nlh, obj);
}

static void fill_elems(struct nlmsghdr *nlh, void *obj)
{
	nftnl_set_elems_nlmsg_build_payload(nlh, obj);
}

/* Sends one message (type, flags, filled by fill) in a batch and waits
 * for the kernel's answer. */
static int batch_send(uint16_t type, uint16_t flags, nlmsg_fill_fn fill,
		      void *obj)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct mnl_nlmsg_batch *b;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL), portid;
	int r = 0;
	ssize_t n;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type,
				    NFPROTO_INET, flags | NLM_F_ACK, seq);
	fill(nlh, obj);
	mnl_nlmsg_batch_next(b);
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq + 1);
	mnl_nlmsg_batch_next(b);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b),
			      mnl_nlmsg_batch_size(b)) < 0) {
		r = -errno;
		mnl_nlmsg_batch_stop(b);
		goto out;
	}
	mnl_nlmsg_batch_stop(b);
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		r = -errno;
	else if (mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL) < 0)
		r = -errno;
out:
	if (nl)
		mnl_socket_close(nl);
	return r;
}

/* Sends one NEWRULE in a batch and waits for the kernel's answer. */
static int rule_send(struct nftnl_rule *rule)
{
	return batch_send(NFT_MSG_NEWRULE, NLM_F_APPEND | NLM_F_CREATE,
			  fill_rule, rule);
}

static int queue_rule_try(const struct nft_queue_cfg *q,
			  enum nft_queue_kind kind)
{
	struct nftnl_rule *rule = nftnl_rule_alloc();
	struct nftnl_expr *e;
	int r;

	if (!rule)
		return -ENOMEM;
	nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, QUEUE_CHAIN);
	nftnl_rule_set_u32(rule, NFTNL_RULE_FAMILY, NFPROTO_INET);
	e = nftnl_expr_alloc("counter");
	if (e)
		nftnl_rule_add_expr(rule, e);
	e = queue_expr(q, kind);
	if (!e) {
		nftnl_rule_free(rule);
		return -ENOMEM;
	}
	nftnl_rule_add_expr(rule, e);
	r = rule_send(rule);
	nftnl_rule_free(rule);
	return r;
}

int nft_queue_rule_add(const struct nft_queue_cfg *q,
		       enum nft_queue_kind *ret, char *err, size_t errlen)
{
	int r = queue_rule_try(q, NFT_QUEUE_NATIVE), r2;

	if (!r) {
		*ret = NFT_QUEUE_NATIVE;
		return 0;
	}
	/* No nft_queue module (ENOENT / EOPNOTSUPP): the compat target. */
	r2 = queue_rule_try(q, NFT_QUEUE_COMPAT);
	if (!r2) {
		*ret = NFT_QUEUE_COMPAT;
		return 0;
	}
	snprintf(err, errlen,
		 "cannot add the queue rule: native queue: %s; xt NFQUEUE "
		 "target: %s (the kernel needs nft_queue or nft_compat with "
		 "xt_NFQUEUE)",
		 strerror(-r), strerror(-r2));
	return r2;
}

/* ---- the SYN sequence numbers (chain syn_keep) ----
 *
 * Written with libnftnl, registers chosen here: nft 1.0.6 cannot build
 * `update @m { k1 . k2 . ip6 saddr . ip6 daddr : tcp sequence }` (its
 * register allocator asserts, or puts the data over the key). The key is
 * the client's port, the server's port, the client's and the server's
 * address, each field in whole 4-byte registers (a 2-byte load zeroes the
 * rest); the value is the SYN's sequence number (synmap.c reads it). */

static struct nftnl_expr *load(uint32_t base, uint32_t off, uint32_t len,
			       uint32_t reg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (!e)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, reg);
	return e;
}

/* meta nfproto into register 1 (cmp_eq then checks it). */
static struct nftnl_expr *nfproto_load(void)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (!e)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_NFPROTO);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	return e;
}

static struct nftnl_expr *cmp_eq(uint32_t reg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (!e)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return e;
}

static struct nftnl_expr *keep_in(const char *set, uint32_t op, uint32_t key,
				  uint32_t data)
{
	struct nftnl_expr *e = nftnl_expr_alloc("dynset");

	if (!e)
		return NULL;
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, op);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_DATA, data);
	return e;
}

/* One family's rule: nfproto, the key's loads, the value's, then the
 * entry of an older connection on the same ports and addresses deleted
 * (an update keeps an existing entry's value: a port reused within the
 * timeout kept the old ISN, 31-41 % of lookups under load, and a client
 * could reuse one on purpose), then the update. A kernel without the
 * delete operation for maps (before 5.x) gets the rule without it. */
static int syn_rule_add(bool v6, bool replace)
{
	uint8_t proto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	uint32_t alen = v6 ? 16 : 4, src = v6 ? 8 : 12;
	uint32_t aregs = alen / 4, seq_reg = NFT_REG32_00 + 2 + 2 * aregs;
	const char *map = v6 ? "syn6" : "syn4";
	struct nftnl_expr *ex[8] = {
		nfproto_load(),
		cmp_eq(NFT_REG_1, &proto, 1),
		load(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG32_00),
		load(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01),
		load(NFT_PAYLOAD_NETWORK_HEADER, src, 2 * alen, NFT_REG32_02),
		load(NFT_PAYLOAD_TRANSPORT_HEADER, 4, 4, seq_reg),
		keep_in(map, NFT_DYNSET_OP_UPDATE, NFT_REG32_00, seq_reg),
		replace ? keep_in(map, NFT_DYNSET_OP_DELETE, NFT_REG32_00, seq_reg)
			: NULL,
	};
	struct nftnl_rule *rule = nftnl_rule_alloc();
	int r = rule ? 0 : -ENOMEM;

	/* the delete goes before the update */
	if (replace) {
		struct nftnl_expr *t = ex[6];
		ex[6] = ex[7];
		ex[7] = t;
	}
	for (size_t i = 0; i < 8; i++) {
		if (!ex[i] && i == 7 && !replace)
			continue;
		if (!ex[i] || r) {
			r = -ENOMEM;
			if (ex[i])
				nftnl_expr_free(ex[i]);
			continue;
		}
		nftnl_rule_add_expr(rule, ex[i]);
	}
	if (!r) {
		nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, TABLE);
		nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, "syn_keep");
		nftnl_rule_set_u32(rule, NFTNL_RULE_FAMILY, NFPROTO_INET);
		r = rule_send(rule);
	}
	if (rule)
		nftnl_rule_free(rule);
	return r;
}

int nft_syn_keep_add(bool *replaces, char *err, size_t errlen)
{
	int r = syn_rule_add(false, true);

	*replaces = !r;
	if (r == -EINVAL || r == -EOPNOTSUPP)
		r = syn_rule_add(false, false);
	if (!r)
		r = syn_rule_add(true, *replaces);
	if (r)
		snprintf(err, errlen, "cannot add the rules that keep SYN "
			 "sequence numbers: %s", strerror(-r));
	return r;
}

static int container_ifs_op(const char *op, const char *const *ifs,
			    size_t n, char *err, size_t errlen)
{
	char cmd[4096];
	size_t o;

	if (!n)
		return 0;
	o = (size_t)snprintf(cmd, sizeof(cmd),
			     "%s%s element inet " TABLE " container_ifs { ",
			     strcmp(op, "replace") ? "" :
			     "flush set inet " TABLE " container_ifs\n",
			     strcmp(op, "replace") ? op : "add");
	for (size_t i = 0; i < n && o < sizeof(cmd); i++)
		o += (size_t)snprintf(cmd + o, sizeof(cmd) - o, "%s\"%s\"",
				      i ? ", " : "", ifs[i]);
	if (o + 3 >= sizeof(cmd)) {
		snprintf(err, errlen, "too many container interfaces");
		return -E2BIG;
	}
	strcat(cmd, " }");
	return nft_run(cmd, err, errlen);
}

int nft_container_ifs_add(const char *const *ifs, size_t n, char *err,
			  size_t errlen)
{
	return container_ifs_op("add", ifs, n, err, errlen);
}

/* In one transaction: the kernel here refuses to add a name to the
 * interval set once it holds wildcards ("interval overlaps"), while a
 * flush and the whole list together go in. */
int nft_container_ifs_replace(const char *const *ifs, size_t n, char *err,
			      size_t errlen)
{
	return container_ifs_op("replace", ifs, n, err, errlen);
}

int nft_guard_set(enum nft_guard g, char *err, size_t errlen)
{
	static const char *const add[] = {
		[NFT_GUARD_OFF] = "",
		[NFT_GUARD_PASS] =
			"add element inet " TABLE " watchdog_pass { ipv4, ipv6 }\n",
		[NFT_GUARD_DROP] =
			"add element inet " TABLE " watchdog_drop { ipv4, ipv6 }\n",
	};
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "flush set inet " TABLE " watchdog_pass\n"
		 "flush set inet " TABLE " watchdog_drop\n%s",
		 add[g]);
	return nft_run(cmd, err, errlen);
}

int nft_guard_packets(uint64_t *ret, char *err, size_t errlen)
{
	static const char *const cmds[] = {
		"list set inet " TABLE " watchdog_pass",
		"list set inet " TABLE " watchdog_drop",
	};
	char out[1024];
	uint64_t n = 0;

	/* One command a run: nft 1.0.6 fails a second "list set" in the
	 * same buffer ("No such file or directory"). */
	for (size_t i = 0; i < 2; i++) {
		const char *p = out;
		int r = nft_query(cmds[i], out, sizeof(out), err, errlen);

		if (r)
			return r;
		/* "elements = { ipv4 counter packets 12 bytes 960, ... }" */
		while ((p = strstr(p, "packets "))) {
			p += strlen("packets ");
			n += strtoull(p, NULL, 10);
		}
	}
	*ret = n;
	return 0;
}

/* One element of listed4 or listed6 into the command being built. */
static int listed_elem(char **cmd, size_t *len, size_t *cap,
		       const struct ip_addr *a, unsigned plen)
{
	char text[IP_ADDR_TEXT];
	char *p;

	if (*cap - *len < IP_ADDR_TEXT + 8) {
		p = realloc(*cmd, *cap * 2);
		if (!p)
			return -ENOMEM;
		*cmd = p;
		*cap *= 2;
	}
	ip_addr_format(a, text, sizeof(text));
	*len += (size_t)snprintf(*cmd + *len, *cap - *len, "%s/%u,\n", text,
				 plen);
	return 0;
}

/* "add element inet egressd listedF { ... }" for one family. */
static int listed_family(char **cmd, size_t *len, size_t *cap,
			 const struct ip_addr *nets, const unsigned *plens,
			 size_t n, int family)
{
	size_t start = *len, count = 0;
	int r;

	*len += (size_t)snprintf(*cmd + *len, *cap - *len,
				 "add element inet " TABLE " listed%c {\n",
				 family == AF_INET ? '4' : '6');
	for (size_t i = 0; i < n; i++) {
		if (nets[i].family != family)
			continue;
		r = listed_elem(cmd, len, cap, &nets[i], plens[i]);
		if (r)
			return r;
		count++;
	}
	if (!count) {
		*len = start;
		(*cmd)[start] = 0;
		return 0;
	}
	*len += (size_t)snprintf(*cmd + *len, *cap - *len, "}\n");
	return 0;
}

int nft_listed_replace(const struct ip_addr *nets, const unsigned *plens,
		       size_t n, char *err, size_t errlen)
{
	size_t cap = 4096, len;
	char *cmd = malloc(cap);
	int r;

	if (!cmd)
		return -ENOMEM;
	len = (size_t)snprintf(cmd, cap, "flush set inet " TABLE " listed4\n"
				  "flush set inet " TABLE " listed6\n");
	r = listed_family(&cmd, &len, &cap, nets, plens, n, AF_INET);
	if (!r)
		r = listed_family(&cmd, &len, &cap, nets, plens, n, AF_INET6);
	if (r)
		snprintf(err, errlen, "out of memory");
	else
		r = nft_run(cmd, err, errlen);
	free(cmd);
	return r;
}

/* ---- the host's own sockets (chains host_select_*, host_cut_*) ---- */

int nft_host_chain(const char *chain, const char *set, unsigned levels,
		   bool every, const char *verdict, char *err, size_t errlen)
{
	char cmd[2048];
	size_t o;

	o = (size_t)snprintf(cmd, sizeof(cmd), "flush chain inet " TABLE " %s\n",
			     chain);
	if (every)
		o += (size_t)snprintf(cmd + o, sizeof(cmd) - o,
				      "add rule inet " TABLE " %s %s\n", chain,
				      verdict);
	for (unsigned l = 1; !every && l < 32 && o < sizeof(cmd); l++)
		if (levels & (1u << l))
			o += (size_t)snprintf(cmd + o, sizeof(cmd) - o,
					      "add rule inet " TABLE " %s socket "
					      "cgroupv2 level %u @%s %s\n",
					      chain, l, set, verdict);
	if (o >= sizeof(cmd)) {
		snprintf(err, errlen, "too many cgroup levels");
		return -E2BIG;
	}
	return nft_run(cmd, err, errlen);
}

int nft_probe_socket_cgroup(char *err, size_t errlen)
{
	int r = nft_host_chain("host_cut_in", "isolated_cgroups", 1u << 1,
			       false, "drop", err, errlen);

	/* an empty set: the rule matched nothing while it was there */
	(void)nft_host_chain("host_cut_in", "isolated_cgroups", 0, false,
			     "drop", err, r ? 0 : errlen);
	return r;
}

/* Elements per message: ~24 bytes each, well inside one buffer. */
#define CGROUP_ELEMS_PER_MSG 128

static int cgroups_msg(const char *set, const uint64_t *ids, size_t n,
		       bool add)
{
	struct nftnl_set *s = nftnl_set_alloc();
	int r;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	for (size_t i = 0; i < n; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		if (!e) {
			nftnl_set_free(s);
			return -ENOMEM;
		}
		/* the key as the kernel stores a cgroup id: host order */
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &ids[i], sizeof(ids[i]));
		nftnl_set_elem_add(s, e);
	}
	r = batch_send(add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
		       add ? NLM_F_CREATE : 0, fill_elems, s);
	nftnl_set_free(s);
	return r;
}

int nft_cgroups_update(const char *set, const uint64_t *ids, size_t n,
		       bool add, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i += CGROUP_ELEMS_PER_MSG) {
		size_t k = n - i < CGROUP_ELEMS_PER_MSG ? n - i
							: CGROUP_ELEMS_PER_MSG;
		int r = cgroups_msg(set, ids + i, k, add);
		if (r) {
			snprintf(err, errlen, "cannot %s cgroups %s set %s: %s",
				 add ? "add" : "delete", add ? "to" : "from",
				 set, strerror(-r));
			return r;
		}
	}
	return 0;
}

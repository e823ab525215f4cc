// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/inventory.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "egressd/procinfo.h"
#include "egressd/rtnl.h"

struct ns_job {
	int fd; /* the container's namespace */
	struct rtnl_dump *dump;
	int32_t ours; /* the nsid it has for our namespace */
	int32_t its; /* the nsid ours has for it */
	int r;
};

/* setns() moves only the calling thread: a short-lived thread enters the
 * container's namespace, dumps it and ends, leaving ours untouched. It
 * also asks both namespaces which nsid each has for the other: a veth's
 * peer is named by ifindex and nsid, and ifindexes repeat across
 * namespaces. */
static void *ns_dump_thread(void *arg)
{
	struct ns_job *j = arg;
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (self < 0) {
		j->r = -errno;
		return NULL;
	}
	j->r = rtnl_nsid_get(j->fd, &j->its);
	if (!j->r && setns(j->fd, CLONE_NEWNET))
		j->r = -errno;
	if (!j->r)
		j->r = rtnl_dump_all(j->dump);
	if (!j->r)
		j->r = rtnl_nsid_get(self, &j->ours);
	close(self);
	return NULL;
}

static int dump_in_ns(int fd, struct ns_job *j)
{
	pthread_t t;

	j->fd = fd;
	j->ours = j->its = RTNL_NSID_NONE;
	j->r = 0;
	if (pthread_create(&t, NULL, ns_dump_thread, j))
		return -EAGAIN;
	pthread_join(t, NULL);
	return j->r;
}

static void add_addrs(struct container *c, const struct rtnl_dump *d,
		      uint32_t ifindex)
{
	for (size_t i = 0; i < d->naddrs; i++) {
		const struct rtnl_addr *a = &d->addrs[i];
		if (a->ifindex == ifindex && a->global &&
		    c->naddrs < CONTAINER_ADDRS_MAX)
			c->addrs[c->naddrs++] = a->addr;
	}
}

size_t inventory_matches(const struct inventory *inv, const char *key)
{
	size_t n = 0, kl = strlen(key);

	for (size_t i = 0; i < inv->n; i++)
		n += !strcmp(inv->c[i].name, key) ||
		     (kl && !strncmp(inv->c[i].id, key, kl));
	return n;
}

/* Exact names, or prefixes ending in '*' ("br-*"), as nft matches them. */
static bool listed(const char *name, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		if (l && v[i][l - 1] == '*' ? !strncmp(name, v[i], l - 1)
					    : !strcmp(name, v[i]))
			return true;
	}
	return false;
}

/* l (in the container's namespace) and h (in ours) are the two ends of
 * one veth pair: each one's peer is the other, by ifindex and by
 * namespace. ours: the nsid the container's namespace has for ours; its:
 * the nsid ours has for the container's. An unassigned nsid pairs with
 * nothing: the peer is then in neither namespace. */
static bool veth_paired(const struct rtnl_link *l, const struct rtnl_link *h,
			int32_t ours, int32_t its)
{
	return ours != RTNL_NSID_NONE && its != RTNL_NSID_NONE &&
	       !strcmp(l->kind, "veth") && !strcmp(h->kind, "veth") &&
	       l->link == h->ifindex && l->link_netnsid == ours &&
	       h->link == l->ifindex && h->link_netnsid == its;
}

/* The port of l, a link in the container's namespace (dumped in j): its
 * veth peer in ours, on a container bridge (br, or NULL) or itself listed
 * as one (routed setups). (An uplink to a router namespace is a veth
 * too, but on no such bridge.) NULL if l has none. */
static const struct rtnl_link *port_of(const struct inventory_scan *s,
				       const struct ns_job *j,
				       const struct rtnl_link *l,
				       const struct rtnl_link **br)
{
	const struct rtnl_link *h = rtnl_link_by_index(s->host, l->link);

	if (!h || !veth_paired(l, h, j->ours, j->its))
		return NULL;
	*br = h->master ? rtnl_link_by_index(s->host, h->master) : NULL;
	if (*br && listed((*br)->name, s->bridges, s->nbridges))
		return h;
	return listed(h->name, s->bridges, s->nbridges) ? h : NULL;
}

/* The container's first port; fills the network half of c. */
static bool find_port(const struct inventory_scan *s, const struct ns_job *j,
		      struct container *c)
{
	for (size_t i = 0; i < j->dump->nlinks; i++) {
		const struct rtnl_link *l = &j->dump->links[i], *h, *br;
		if (!(h = port_of(s, j, l, &br)))
			continue;
		snprintf(c->veth, sizeof(c->veth), "%s", h->name);
		c->veth_ifindex = h->ifindex;
		if (br)
			snprintf(c->bridge, sizeof(c->bridge), "%s", br->name);
		add_addrs(c, j->dump, l->ifindex);
		return true;
	}
	return false;
}

static bool same_ns(int fd)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat("/proc/thread-self/ns/net", &b) &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

int inventory_scan_begin(struct inventory_scan *s, const char *const *bridges,
			 size_t nbridges, struct inventory *inv)
{
	memset(s, 0, sizeof(*s));
	s->bridges = bridges;
	s->nbridges = nbridges;
	s->inv = inv;
	inv->n = 0;
	inv->sources_ok = 0;
	s->host = malloc(sizeof(*s->host));
	s->in = malloc(sizeof(*s->in));
	if (!s->host || !s->in) {
		inventory_scan_end(s);
		return -ENOMEM;
	}
	return rtnl_dump_all(s->host);
}

void inventory_scan_end(struct inventory_scan *s)
{
	free(s->host);
	free(s->in);
	s->host = s->in = NULL;
}

/* A dump that failed (no thread to spare, a netlink buffer overrun under
 * load) proves nothing: the container keeps the port the previous scan
 * found, rather than drop out of the inventory for a second (its events
 * would lose their name, its isolation would count a scan missing). */
static bool carry_over(const struct inventory_scan *s, struct container *c)
{
	for (size_t i = 0; s->prev && i < s->prev->n; i++) {
		const struct container *p = &s->prev->c[i];
		if (strcmp(p->id, c->id) || !p->veth[0])
			continue;
		memcpy(c->veth, p->veth, sizeof(c->veth));
		memcpy(c->bridge, p->bridge, sizeof(c->bridge));
		c->veth_ifindex = p->veth_ifindex;
		c->naddrs = p->naddrs;
		memcpy(c->addrs, p->addrs, sizeof(c->addrs));
		return true;
	}
	return false;
}

int inventory_add(struct inventory_scan *s, const struct container *id)
{
	struct ns_job j = { .dump = s->in };
	struct container *c;
	int fd, r = -ENOENT;

	if (s->inv->n == INVENTORY_MAX)
		return -E2BIG;
	c = &s->inv->c[s->inv->n];
	*c = *id;
	c->naddrs = 0;
	c->veth[0] = c->bridge[0] = 0;
	c->veth_ifindex = 0;
	fd = c->running ? open(c->netns, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		bool ours = same_ns(fd);
		int d = ours ? -EINVAL : dump_in_ns(fd, &j);
		/* On the host's network: no port, no address of its own;
		 * its sockets are told by their cgroup (README, "Host-network
		 * containers"). The kernel says which, not the runtime: a
		 * container that claims it and is elsewhere is not, and one
		 * the runtime does not call so (containerd and Kubernetes
		 * just give no network namespace) is. A named namespace
		 * (runtime netns) has no process to tell sockets by. */
		c->host_network = ours && c->pid > 0;
		if (c->host_network && !c->cgroup_id &&
		    procinfo_cgroup_v2_id(c->pid, &c->cgroup_id,
					  &c->cgroup_level))
			c->cgroup_id = 0;
		if (c->host_network)
			r = 0;
		else if (!d && find_port(s, &j, c))
			r = 0;
		else if (d && d != -EINVAL && carry_over(s, c))
			r = 0;
		close(fd);
	}
	/* A stopped container is listed (it may be isolated); a running one
	 * only if it is on a container bridge. */
	if (!r || !c->running)
		s->inv->n++;
	return r;
}

/* 0 if one of the namespace's ports (dumped in j) is c's veth, same name
 * and ifindex; -ESTALE if it has another one, -ENOENT if none. */
static int port_is(const struct inventory_scan *s, const struct ns_job *j,
		   const struct container *c)
{
	int r = -ENOENT;

	for (size_t i = 0; i < j->dump->nlinks; i++) {
		const struct rtnl_link *br,
			*h = port_of(s, j, &j->dump->links[i], &br);
		if (h && h->ifindex == c->veth_ifindex &&
		    !strcmp(h->name, c->veth))
			return 0;
		if (h)
			r = -ESTALE;
	}
	return r;
}

/* Fresh dumps of both namespaces: the scan that listed c may be a second
 * old, and a veth's name and ifindex may be another's since. */
int inventory_verify_port(const struct container *c,
			  const char *const *bridges, size_t nbridges)
{
	struct inventory_scan s = { .bridges = bridges, .nbridges = nbridges };
	struct ns_job j;
	int fd, r;

	if (!c->running || !c->veth[0])
		return -ENOENT;
	fd = open(c->netns, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	s.host = malloc(sizeof(*s.host));
	s.in = j.dump = malloc(sizeof(*s.in));
	if (!s.host || !s.in)
		r = -ENOMEM;
	else if (same_ns(fd)) /* our own ports are no container's */
		r = -ENOENT;
	else if (!(r = rtnl_dump_all(s.host)) && !(r = dump_in_ns(fd, &j)))
		r = port_is(&s, &j, c);
	close(fd);
	inventory_scan_end(&s);
	return r;
}

int inventory_scan_netns(struct inventory_scan *s, const char *dir)
{
	struct container c;
	struct dirent *de;
	DIR *dh = opendir(dir);

	if (!dh) { /* no named namespace at all is not an error */
		if (errno != ENOENT)
			return -errno;
		s->inv->sources_ok |= INV_SRC_NETNS;
		return 0;
	}
	while ((de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		memset(&c, 0, sizeof(c));
		snprintf(c.id, sizeof(c.id), "netns:%.60s", de->d_name);
		snprintf(c.name, sizeof(c.name), "%.63s", de->d_name);
		snprintf(c.runtime, sizeof(c.runtime), "netns");
		snprintf(c.netns, sizeof(c.netns), "%.64s/%.60s", dir, de->d_name);
		c.running = true;
		inventory_add(s, &c);
	}
	closedir(dh);
	s->inv->sources_ok |= INV_SRC_NETNS;
	return 0;
}

const struct container *inventory_find(const struct inventory *inv,
				       const char *key)
{
	const struct container *hit = NULL;
	size_t kl = strlen(key);

	for (size_t i = 0; i < inv->n; i++)
		if (!strcmp(inv->c[i].name, key) || !strcmp(inv->c[i].id, key))
			return &inv->c[i];
	for (size_t i = 0; i < inv->n && kl; i++)
		if (!strncmp(inv->c[i].id, key, kl)) {
			if (hit)
				return NULL; /* ambiguous */
			hit = &inv->c[i];
		}
	return hit;
}

int host_facts_read(const char *const *bridges, size_t nbridges,
		    struct host_facts *f)
{
	struct rtnl_dump *d = malloc(sizeof(*d));
	int r;

	memset(f, 0, sizeof(*f));
	if (!d)
		return -ENOMEM;
	gethostname(f->name, sizeof(f->name) - 1);
	r = rtnl_dump_all(d);
	for (size_t i = 0; !r && i < d->naddrs; i++) {
		const struct rtnl_addr *a = &d->addrs[i];
		const struct rtnl_link *l = rtnl_link_by_index(d, a->ifindex);
		if (!a->global || !l || !strcmp(l->name, "lo"))
			continue;
		if (listed(l->name, bridges, nbridges)) {
			if (f->ninner < 8)
				f->inner[f->ninner++] = a->addr;
		} else if (f->nouter < 8) {
			f->outer[f->nouter++] = a->addr;
		}
	}
	free(d);
	return r;
}

static pthread_mutex_t published_lock = PTHREAD_MUTEX_INITIALIZER;
static struct inventory *published;
static unsigned long published_gen;

void inventory_publish(const struct inventory *inv)
{
	struct inventory *copy = malloc(sizeof(*copy)), *old;

	if (!copy)
		return; /* readers keep the previous scan */
	memcpy(copy, inv, sizeof(*copy));
	pthread_mutex_lock(&published_lock);
	old = published;
	published = copy;
	published_gen++;
	pthread_mutex_unlock(&published_lock);
	free(old);
}

static bool has_addr(const struct container *c, const struct ip_addr *a)
{
	for (unsigned i = 0; a && i < c->naddrs; i++)
		if (ip_addr_equal(&c->addrs[i], a))
			return true;
	return false;
}

unsigned long inventory_generation(void)
{
	unsigned long gen;

	pthread_mutex_lock(&published_lock);
	gen = published_gen;
	pthread_mutex_unlock(&published_lock);
	return gen;
}

bool inventory_lookup_id(const char *id, struct container *ret)
{
	const struct container *hit = NULL;

	pthread_mutex_lock(&published_lock);
	for (size_t i = 0; published && i < published->n && !hit; i++)
		if (!strcmp(published->c[i].id, id))
			hit = &published->c[i];
	if (hit)
		*ret = *hit;
	pthread_mutex_unlock(&published_lock);
	return hit != NULL;
}

bool inventory_lookup(uint32_t ifindex, const struct ip_addr *a,
		      struct container *ret)
{
	const struct container *hit = NULL;

	pthread_mutex_lock(&published_lock);
	for (size_t i = 0; published && i < published->n && !hit; i++)
		if (ifindex && published->c[i].veth_ifindex == ifindex)
			hit = &published->c[i];
	/* A packet from a known port is that port's container's or none's:
	 * anything on the bridge can send from a container's address. */
	for (size_t i = 0; published && i < published->n && !hit; i++)
		if (has_addr(&published->c[i], a) &&
		    (!ifindex || !published->c[i].veth_ifindex))
			hit = &published->c[i];
	if (hit)
		*ret = *hit;
	pthread_mutex_unlock(&published_lock);
	return hit != NULL;
}

unsigned inventory_source_of(const char *runtime)
{
	if (!strcmp(runtime, "netns"))
		return INV_SRC_NETNS;
	if (!strcmp(runtime, "docker"))
		return INV_SRC_DOCKER;
	if (!strcmp(runtime, "containerd") || !strcmp(runtime, "cri"))
		return INV_SRC_OCI;
	return 0;
}

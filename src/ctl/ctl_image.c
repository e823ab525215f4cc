// SPDX-License-Identifier: GPL-2.0-or-later
/* The `image` command: what the runtime knows of an image (Docker's
 * inspect and history: created, size, the layers with the commands that
 * built them) and which containers run it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_internal.h"
#include "ctl_reply.h"
#include "egressd/docker.h"

/* Whether container k runs the image ref: its name, its id, or the id
 * without "sha256:" or a prefix of it (12 hex digits at least). */
static bool runs(const struct container *k, const char *ref)
{
	const char *id = k->image_id;
	size_t n = strlen(ref);

	if (!strcmp(k->image, ref) || !strcmp(id, ref))
		return true;
	if (!strncmp(id, "sha256:", 7))
		id += 7;
	if (!strncmp(ref, "sha256:", 7)) {
		ref += 7;
		n -= 7;
	}
	return n >= 12 && !strncmp(id, ref, n);
}

/* The containers that run ref; their count in *n. */
static cJSON *users_of(struct ctl *c, const char *ref, size_t *n)
{
	cJSON *a = cJSON_CreateArray();

	*n = 0;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; a && i < c->inv->n; i++) {
		const struct container *k = &c->inv->c[i];
		cJSON *o;
		if (!runs(k, ref))
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", k->id);
		cJSON_AddStringToObject(o, "name", k->name);
		cJSON_AddStringToObject(o, "runtime", k->runtime);
		cJSON_AddStringToObject(o, "image", k->image);
		cJSON_AddItemToArray(a, o);
		(*n)++;
	}
	pthread_mutex_unlock(&c->lock);
	return a;
}

static void add_docker(cJSON *o, const struct docker_image *im)
{
	cJSON *tags = cJSON_AddArrayToObject(o, "tags");
	cJSON *hist = cJSON_AddArrayToObject(o, "history");

	cJSON_ReplaceItemInObject(o, "id", cJSON_CreateString(im->id));
	for (size_t i = 0; i < im->ntags; i++)
		cJSON_AddItemToArray(tags, cJSON_CreateString(im->tags[i]));
	cJSON_AddNumberToObject(o, "created", (double)im->created);
	cJSON_AddNumberToObject(o, "size", (double)im->size);
	cJSON_AddStringToObject(o, "os", im->os);
	cJSON_AddStringToObject(o, "architecture", im->arch);
	for (size_t i = 0; i < im->nlayers; i++) {
		const struct docker_image_layer *l = &im->layers[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "created", (double)l->created);
		cJSON_AddStringToObject(x, "created_by", l->created_by);
		cJSON_AddNumberToObject(x, "size", (double)l->size);
		cJSON_AddStringToObject(x, "comment", l->comment);
		cJSON_AddItemToArray(hist, x);
	}
	cJSON_AddStringToObject(o, "source", "docker");
}

/* Docker's view of ref, if Docker is followed and knows it. Returns 0,
 * -ENOENT (not Docker's, or no Docker) or another negative errno. */
static int docker_view(struct ctl *c, const char *ref, cJSON *o, char *err,
		       size_t errlen)
{
	struct docker_image *im;
	struct docker *d;
	int r;

	if (!c->cfg->docker_socket[0] || !c->docker)
		return -ENOENT;
	im = malloc(sizeof(*im));
	d = docker_open(c->cfg->docker_socket);
	r = !im || !d ? -ENOMEM : docker_image_get(d, ref, im, err, errlen);
	if (!r)
		add_docker(o, im);
	docker_close(d);
	free(im);
	return r;
}

cJSON *cmd_image(struct ctl_req *r)
{
	const char *ref = str_arg(r->req, "id");
	char err[512] = "";
	size_t n;
	cJSON *o, *users;
	int e;

	if (!ref || !docker_image_ref_ok(ref))
		return reply_error("need \"id\": an image name, name:tag or id",
				   NULL);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", ref);
	e = docker_view(r->c, ref, o, err, sizeof(err));
	users = users_of(r->c, ref, &n);
	if (e == -ENOENT && !n) {
		cJSON_Delete(o);
		cJSON_Delete(users);
		return reply_error("no such image: '%s'", ref);
	}
	if (e == -ENOENT) {
		/* containerd's image config lives in its content store, which
		 * has no API egressd speaks: the name and who runs it. */
		cJSON_AddStringToObject(o, "source", "inventory");
		cJSON_AddStringToObject(o, "note", "only Docker's images have "
					"their history here");
	} else if (e) {
		cJSON_AddStringToObject(o, "source", "inventory");
		cJSON_AddStringToObject(o, "note", err);
	}
	cJSON_AddItemToObject(o, "containers", users);
	return reply_ok_with("image", o);
}

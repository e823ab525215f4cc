// SPDX-License-Identifier: GPL-2.0-or-later
/* Docker's images: inspect and history, for the console's image page.
 * The JSON mapping is pure and fuzzed (fuzz_docker); docker_image_get
 * makes the two requests. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "egressd/docker.h"

bool docker_image_ref_ok(const char *ref)
{
	size_t n = strlen(ref);

	if (!n || n > 255 || strstr(ref, "..") || ref[0] == '/' ||
	    ref[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = ref[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("._:/@-", c)))
			return false;
	}
	return true;
}

/* A string member into dst, cut to fit; "" if absent. */
static void str_copy(const cJSON *o, const char *key, char *dst, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	snprintf(dst, size, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static int64_t num_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	double d = cJSON_IsNumber(v) ? v->valuedouble : 0;

	return d > 0 && d < 9e15 ? (int64_t)d : 0;
}

/* "2023-06-14T20:41:58.123456789Z" (RFC 3339, UTC as dockerd writes
 * it); 0 if it is not that. */
static int64_t rfc3339(const char *s)
{
	struct tm tm = { 0 };
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

	return end ? (int64_t)timegm(&tm) : 0;
}

int docker_parse_image(const char *json, size_t len, struct docker_image *ret)
{
	cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
	const cJSON *tags, *t, *created;

	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return -EBADMSG;
	}
	str_copy(root, "Id", ret->id, sizeof(ret->id));
	str_copy(root, "Os", ret->os, sizeof(ret->os));
	str_copy(root, "Architecture", ret->arch, sizeof(ret->arch));
	ret->size = num_of(root, "Size");
	created = cJSON_GetObjectItemCaseSensitive(root, "Created");
	ret->created = cJSON_IsString(created) ? rfc3339(created->valuestring)
					       : 0;
	ret->ntags = 0;
	tags = cJSON_GetObjectItemCaseSensitive(root, "RepoTags");
	cJSON_ArrayForEach(t, tags)
	{
		if (ret->ntags == DOCKER_IMAGE_TAGS_MAX)
			break;
		if (cJSON_IsString(t))
			snprintf(ret->tags[ret->ntags++], sizeof(ret->tags[0]),
				 "%s", t->valuestring);
	}
	cJSON_Delete(root);
	return ret->id[0] ? 0 : -EBADMSG;
}

int docker_parse_history(const char *json, size_t len,
			 struct docker_image *ret)
{
	cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
	const cJSON *l;

	if (!cJSON_IsArray(root)) {
		cJSON_Delete(root);
		return -EBADMSG;
	}
	ret->nlayers = 0;
	cJSON_ArrayForEach(l, root)
	{
		struct docker_image_layer *y = &ret->layers[ret->nlayers];
		if (ret->nlayers == DOCKER_IMAGE_LAYERS_MAX)
			break;
		if (!cJSON_IsObject(l))
			continue;
		y->created = num_of(l, "Created");
		y->size = num_of(l, "Size");
		str_copy(l, "CreatedBy", y->created_by, sizeof(y->created_by));
		str_copy(l, "Comment", y->comment, sizeof(y->comment));
		ret->nlayers++;
	}
	cJSON_Delete(root);
	return 0;
}

int docker_image_get(struct docker *d, const char *ref,
		     struct docker_image *ret, char *err, size_t errlen)
{
	char path[320];
	const char *body;
	size_t len;
	int r;

	if (!docker_image_ref_ok(ref)) {
		snprintf(err, errlen, "not an image reference: '%.60s'", ref);
		return -EINVAL;
	}
	memset(ret, 0, sizeof(*ret));
	snprintf(path, sizeof(path), "/images/%s/json", ref);
	r = docker_get_body(d, path, &body, &len, err, errlen);
	if (!r && (r = docker_parse_image(body, len, ret)))
		snprintf(err, errlen, "unexpected JSON from %s", path);
	snprintf(path, sizeof(path), "/images/%s/history", ref);
	if (!r)
		r = docker_get_body(d, path, &body, &len, err, errlen);
	if (!r && (r = docker_parse_history(body, len, ret)))
		snprintf(err, errlen, "unexpected JSON from %s", path);
	return r;
}

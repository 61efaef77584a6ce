/* compare.c - differences between a saved inventory and the current one (pure). */
#include <string.h>

#include "common/common.h"
#include "out/out.h"
#include "scan/scan.h"

/* An item's identity: its exact path bytes when they were not UTF-8, else file.path. */
static const char *key_of(json_t *rec)
{
	json_t *raw = fh_out_json_at(rec, "foothold.raw.path"),
	       *path = fh_out_json_at(rec, "file.path");

	if (json_is_string(raw))
		return json_string_value(raw);
	return json_is_string(path) ? json_string_value(path) : NULL;
}

/* What is compared, and the name a difference gets in foothold.changes. */
static const struct {
	const char *name, *field;
} fields[] = {
	{ "sha256", "file.hash.sha256" },
	{ "content", "foothold.item.detail" },
	{ "object", "foothold.item.object" },
	{ "target", "file.target_path" },
	{ "type", "foothold.item.type" },
	{ "mode", "file.mode" },
	{ "owner", "file.uid" },
	{ "group", "file.gid" },
	{ "trust", "foothold.trust.status" },
};

static bool same(json_t *a, json_t *b)
{
	if (!a || !b)
		return !a && !b;
	return json_equal(a, b);
}

/* A difference record built from rec (the current one, or the saved one if removed). */
static json_t *diff_record(json_t *rec, const char *action, json_t *changes, json_t *before)
{
	json_t *d = json_object(), *ev = json_object(), *fh = json_object(), *v;

	if (!d || !ev || !fh) {
		json_decref(d);
		json_decref(ev);
		json_decref(fh);
		json_decref(changes);
		json_decref(before);
		return NULL;
	}
	if ((v = fh_out_json_at(rec, "@timestamp")))
		json_object_set(d, "@timestamp", v);
	json_object_set_new(ev, "kind", json_string("state"));
	json_object_set_new(ev, "category", json_pack("[s]", "file"));
	json_object_set_new(ev, "type",
			    json_pack("[s]", !strcmp(action, "added")	  ? "creation"
					     : !strcmp(action, "removed") ? "deletion"
									  : "change"));
	json_object_set_new(ev, "action", json_string(action));
	json_object_set_new(ev, "dataset", json_string("foothold.scan.compare"));
	json_object_set_new(ev, "module", json_string("foothold"));
	json_object_set_new(d, "event", ev);
	if ((v = fh_out_json_at(rec, "host")))
		json_object_set(d, "host", v);
	if ((v = fh_out_json_at(rec, "file")))
		json_object_set(d, "file", v);
	if ((v = fh_out_json_at(rec, "threat")))
		json_object_set(d, "threat", v);
	if ((v = fh_out_json_at(rec, "foothold.item")))
		json_object_set(fh, "item", v);
	if ((v = fh_out_json_at(rec, "foothold.trust")))
		json_object_set(fh, "trust", v);
	if ((v = fh_out_json_at(rec, "foothold.flags")))
		json_object_set(fh, "flags", v);
	if ((v = fh_out_json_at(rec, "foothold.root")))
		json_object_set(fh, "root", v);
	if ((v = fh_out_json_at(rec, "foothold.raw")))
		json_object_set(fh, "raw", v);
	if (changes)
		json_object_set_new(fh, "changes", changes);
	if (before)
		json_object_set_new(fh, "before", before);
	json_object_set_new(d, "foothold", fh);
	return d;
}

/* The changes between two records of one item, and the old values; NULL when none. */
static json_t *changed(json_t *old, json_t *now, json_t **ret_before)
{
	json_t *changes = json_array(), *before = json_object();

	for (size_t i = 0; changes && before && i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_t *a = fh_out_json_at(old, fields[i].field),
		       *b = fh_out_json_at(now, fields[i].field);

		if (same(a, b))
			continue;
		json_array_append_new(changes, json_string(fields[i].name));
		/* The old content is summarised by its hash and object, not repeated. */
		if (a && strcmp(fields[i].name, "content"))
			json_object_set(before, fields[i].name, a);
	}
	if (!changes || !before || !json_array_size(changes)) {
		json_decref(changes);
		json_decref(before);
		*ret_before = NULL;
		return NULL;
	}
	*ret_before = before;
	return changes;
}

json_t *fh_scan_compare(json_t *before, json_t *after)
{
	struct fh_map old, now;
	json_t *out = json_array(), *rec;
	size_t i;

	if (!out)
		return NULL;
	fh_map_init(&old, 0xb4);
	fh_map_init(&now, 0xaf);
	json_array_foreach(before, i, rec)
	{
		const char *k = key_of(rec);

		if (k && fh_map_put(&old, k, strlen(k), rec, NULL) < 0)
			goto oom;
	}
	json_array_foreach(after, i, rec)
	{
		const char *k = key_of(rec);
		json_t *o, *d = NULL, *ch, *bf;

		if (!k || fh_map_put(&now, k, strlen(k), rec, NULL) < 0)
			continue;
		o = fh_map_get(&old, k, strlen(k));
		if (!o)
			d = diff_record(rec, "added", NULL, NULL);
		else if ((ch = changed(o, rec, &bf)))
			d = diff_record(rec, "changed", ch, bf);
		else
			continue;
		if (!d || json_array_append_new(out, d) < 0)
			goto oom;
	}
	json_array_foreach(before, i, rec)
	{
		const char *k = key_of(rec);
		json_t *d;

		if (!k || fh_map_get(&now, k, strlen(k)))
			continue;
		if (!(d = diff_record(rec, "removed", NULL, NULL)) ||
		    json_array_append_new(out, d) < 0)
			goto oom;
	}
	fh_map_free(&old, NULL);
	fh_map_free(&now, NULL);
	return out;
oom:
	fh_map_free(&old, NULL);
	fh_map_free(&now, NULL);
	json_decref(out);
	return NULL;
}

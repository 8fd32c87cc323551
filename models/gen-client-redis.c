#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "base/buf.h"
#include "base/strutil.h"
#include "models/gen-client.h"

/* The Redis client (codegen.md §5.5). */

static const char *redis_type(const struct field_type *t)
{
	switch (t->kind) {
	case FIELD_TYPE_INT:
		return "INT";
	case FIELD_TYPE_FLOAT:
		return "FLOAT";
	case FIELD_TYPE_DECIMAL:
		return "DECIMAL";
	case FIELD_TYPE_BOOLEAN:
		return "BOOLEAN";
	case FIELD_TYPE_TIME:
		if (streq(t->name, "Date"))
			return "DATE";
		if (streq(t->name, "TimeOfDay"))
			return "TIME_OF_DAY";
		if (streq(t->name, "Civil"))
			return "CIVIL";
		if (streq(t->name, "Utc"))
			return "UTC";
		return "STRING";
	default:
		/* strings, enums (stored by value) and anything else */
		return "STRING";
	}
}

static const char *bare(const char *s)
{
	return s[0] == '\'' ? s + 1 : s;
}

static const char *field_metadata(struct gen_client *g, const struct entity *e)
{
	const struct gc_column *c;
	struct gc_list l = { 0 };
	size_t n = gc_columns(g, e, &c);

	for (size_t i = 0; i < n; i++)
		gc_list_addf(g, &l, "%s: {fieldName: \"%s\", fieldDataType: predis:%s}",
			     gc_name(g, c[i].name), bare(c[i].name), redis_type(c[i].type));
	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *r = e->fields[i];
		if (!gc_is_relation(r))
			continue;
		const char *path = gc_strf(g, "%s%s", r->bare_name, r->type.array ? "[]" : "");
		n = gc_columns(g, r->type.entity, &c);
		for (size_t j = 0; j < n; j++) {
			const char *a = bare(c[j].name);
			gc_list_addf(
				g, &l,
				"\"%s.%s\": {relation: {entityName: \"%s\", refField: \"%s\", refFieldDataType: predis:%s}}",
				path, a, r->bare_name, a, redis_type(c[j].type));
		}
	}
	return gc_block(g, 3, "fieldMetadata: ", &l, false, '{', '}');
}

static const char *ref_metadata(struct gen_client *g, const struct entity *e)
{
	struct gc_list l = { 0 };

	for (size_t i = 0; i < e->n_fields; i++) {
		const struct field *r = e->fields[i];
		if (!gc_is_relation(r))
			continue;
		const struct relation *rel = r->relation;
		const struct entity *a = r->type.entity;
		const struct field *back = gc_other_side(r);
		struct gc_list refs = { 0 }, joins = { 0 };
		for (size_t j = 0; j < rel->n_keys; j++) {
			const char *fk = gc_strf(g, "\"%s\"", bare(rel->keys[j].fk_name));
			const char *key = gc_strf(g, "\"%s\"", rel->keys[j].ref_key->bare_name);
			gc_list_addf(g, &refs, "%s", r->relation_owner ? key : fk);
			gc_list_addf(g, &joins, "%s", r->relation_owner ? fk : key);
		}
		const char *type;
		if (r->relation_owner)
			type = back && back->type.array ? "ONE_TO_MANY" : "ONE_TO_ONE";
		else
			type = r->type.array ? "MANY_TO_ONE" : "ONE_TO_ONE";
		gc_list_addf(
			g, &l,
			"%s: {entity: %s, fieldName: \"%s\", refCollection: \"%s\", %srefFields: [%s], joinFields: [%s], 'type: predis:%s}",
			gc_field_name(g, r), a->name, gc_field_name(g, r), a->bare_name,
			r->relation_owner && back
				? gc_strf(g, "refMetaDataKey: \"%s\", ", back->bare_name)
				: "",
			gc_join(g, &refs, ", "), gc_join(g, &joins, ", "), type);
	}
	if (l.n == 0)
		return NULL;
	return gc_block(g, 3, "refMetadata: ", &l, true, '{', '}');
}

static const char *client_args(struct gen_client *g, const struct client_entity *ce)
{
	return gc_strf(g, "dbClient, self.metadata.get(%s), cacheConfig.maxAge", ce->const_name);
}

static void redis_members(struct gen_client *g)
{
	struct gc_list l = { 0 };

	gc_line(g, 1, "private final redis:Client dbClient;");
	gc_blank(g);
	gc_line(g, 1, "private final map<predis:RedisClient> persistClients;");
	gc_blank(g);
	for (size_t i = 0; i < g->n_ents; i++) {
		const struct client_entity *ce = &g->ents[i];
		struct gc_list m = { 0 };
		if (ce->skip)
			continue;
		gc_list_addf(g, &m, "entityName: \"%s\"", ce->e->bare_name);
		gc_list_addf(g, &m, "collectionName: \"%s\"", ce->e->bare_name);
		gc_list_addf(g, &m, "%s", field_metadata(g, ce->e));
		gc_list_addf(g, &m, "%s", gc_key_fields(g, ce->e));
		const char *refs = ref_metadata(g, ce->e);
		if (refs)
			gc_list_addf(g, &m, "%s", refs);
		gc_list_addf(
			g, &l, "%s",
			gc_block(g, 2, gc_strf(g, "[%s]: ", ce->const_name), &m, false, '{', '}'));
	}
	gc_line(g, 1, "%s;",
		gc_block(g, 1,
			 "private final record {|predis:RedisMetadata...;|} & readonly metadata = ",
			 &l, false, '{', '}'));
	gc_blank(g);
	gc_line(g, 1, "public isolated function init() returns persist:Error? {");
	gc_line(g, 2, "redis:Client|error dbClient = new (connectionConfig);");
	gc_line(g, 2, "if dbClient is error {");
	gc_line(g, 3, "return <persist:Error>error(dbClient.message());");
	gc_line(g, 2, "}");
	gc_line(g, 2, "self.dbClient = dbClient;");
	gc_persist_clients(g, client_args);
	gc_line(g, 1, "}");
}

#define REDIS_CLIENT "predis:RedisClient", "redisClient"

static void redis_post(struct gen_client *g, const struct client_entity *ce)
{
	gc_remote_post(g, ce, REDIS_CLIENT, false);
}

static void redis_put(struct gen_client *g, const struct client_entity *ce)
{
	gc_remote_put(g, ce, REDIS_CLIENT);
}

static void redis_delete(struct gen_client *g, const struct client_entity *ce)
{
	gc_remote_delete(g, ce, REDIS_CLIENT);
}

const struct client_flavour client_flavour_redis = {
	.store = "Redis",
	.kind = "key space",
	.processor = "io.ballerina.stdlib.persist.redis.datastore.RedisProcessor",
	.imports = (const char *const[]){ "ballerina/jballerina.java", "ballerina/persist",
					  "ballerinax/persist.redis as predis", "ballerinax/redis",
					  NULL },
	.members = redis_members,
	.post_body = redis_post,
	.put_body = redis_put,
	.delete_body = redis_delete,
	.close_body = gc_close_db_client,
};

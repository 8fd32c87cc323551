/* Configuration written by generate and the build integration: persist_db_config.bal and
 * persist_sheet_config.bal (codegen.md §6), the Config.toml section (persist-cli.md §9), the
 * native dependency in Ballerina.toml (§4) and the target/Persist.toml entry (§10). TOML files
 * are edited as text: the original bytes stay as they are and new tables are appended. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/strutil.h"
#include "models/gen.h"
#include "models/toml.h"

#define CONFIG_HEADER                                                              \
	"// AUTO-GENERATED FILE. DO NOT MODIFY.\n\n"                               \
	"// This file is an auto-generated file by Ballerina persistence layer.\n" \
	"// It should not be modified by hand.\n\n"

int gen_db_config(const struct model_file *mf, const struct gen_options *o, struct buf *out)
{
	const char *p = NULL;
	int r;

	(void)mf;
	switch (o->datastore) {
	case DATASTORE_MYSQL:
		p = "mysql";
		break;
	case DATASTORE_MSSQL:
		p = "mssql";
		break;
	case DATASTORE_POSTGRESQL:
		p = "postgresql";
		break;
	case DATASTORE_H2:
		return buf_adds(out, CONFIG_HEADER
				"import ballerinax/java.jdbc;\n\n"
				"configurable string url = ?;\n"
				"configurable string user = ?;\n"
				"configurable string password = ?;\n"
				"configurable jdbc:Options & readonly connectionOptions = "
				"{};\n\n");
	case DATASTORE_REDIS:
		return buf_adds(out, CONFIG_HEADER "import ballerinax/redis;\n\n"
						   "configurable redis:ConnectionConfig & readonly "
						   "connectionConfig = ?;\n"
						   "configurable record {|\n"
						   "    int maxAge;\n"
						   "|} & readonly cacheConfig = ?;\n\n");
	case DATASTORE_GOOGLESHEETS:
		return buf_adds(out, CONFIG_HEADER "configurable string clientId = ?;\n"
						   "configurable string clientSecret = ?;\n"
						   "configurable string refreshToken = ?;\n"
						   "configurable string spreadsheetId = ?;\n\n");
	default:
		return -EINVAL;
	}
	r = buf_addf(out,
		     CONFIG_HEADER "import ballerinax/%s;\n\n"
				   "configurable int port = ?;\n"
				   "configurable string host = ?;\n"
				   "configurable string user = ?;\n"
				   "configurable string database = ?;\n"
				   "configurable string password = ?;\n"
				   "configurable %s:Options & readonly connectionOptions = {};\n",
		     p, p);
	if (r >= 0 && o->datastore != DATASTORE_MYSQL)
		r = buf_adds(out, "configurable string? defaultSchema = ();\n");
	return r < 0 ? r : buf_addc(out, '\n');
}

int gen_config_toml_section(enum datastore d, const char *module_name, struct buf *out)
{
	const char *port = NULL, *user = NULL;

	switch (d) {
	case DATASTORE_MYSQL:
		port = "3306";
		user = "root";
		break;
	case DATASTORE_MSSQL:
		port = "1433";
		user = "sa";
		break;
	case DATASTORE_POSTGRESQL:
		port = "5432";
		user = "postgres";
		break;
	case DATASTORE_H2:
		return buf_addf(out, "[%s]\nurl = \"\"\nuser = \"\"\npassword = \"\"\n",
				module_name);
	case DATASTORE_GOOGLESHEETS:
		return buf_addf(out,
				"[%s]\nspreadsheetId = \"\"\nclientId = \"\"\nclientSecret = \"\"\n"
				"refreshToken = \"\"\n",
				module_name);
	case DATASTORE_REDIS:
		return buf_addf(out,
				"[%s.connectionConfig]\nconnection = \"redis://localhost:6379\"\n\n"
				"[%s.cacheConfig]\nmaxAge = -1\n",
				module_name, module_name);
	default:
		return 0;
	}
	return buf_addf(out,
			"[%s]\nhost = \"localhost\"\nport = %s\nuser = \"%s\"\npassword = \"\"\n"
			"database = \"\"\n",
			module_name, port, user);
}

/* Whether the document has a [module_name] table of its own (a header, not an array entry, an
 * implicit prefix or a dotted-key table). */
static bool has_plain_table(const struct toml_doc *doc, const char *module_name)
{
	const struct toml_value *v = toml_get(doc->root, module_name);

	return v && v->type == TOML_TABLE && v->u.table->kind == TOML_TABLE_HEADER;
}

/* Append section after text, separated by one line break (plus one to end an unterminated last
 * line). */
static int append_section(struct buf *out, const char *text, size_t len, const char *section,
			  size_t section_len)
{
	int r = buf_add(out, text, len);

	if (r >= 0 && len > 0) {
		if (text[len - 1] != '\n')
			r = buf_addc(out, '\n');
		if (r >= 0)
			r = buf_addc(out, '\n');
	}
	return r < 0 ? r : buf_add(out, section, section_len);
}

int gen_config_toml(const char *existing, size_t len, enum datastore d, const char *module_name,
		    struct buf *out, struct pd_error *reterr)
{
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	_cleanup_buf_ struct buf section = BUF_INIT(BUF_MAX_DEFAULT);
	int r;

	r = gen_config_toml_section(d, module_name, &section);
	if (r < 0)
		return r;
	if (!existing) {
		if (section.len == 0)
			return 0;
		r = buf_add(out, section.buf, section.len);
		return r < 0 ? r : 1;
	}
	if (section.len == 0)
		return 0;
	r = toml_parse(existing, len, "Config.toml", &doc, reterr);
	if (r < 0)
		return r;
	if (has_plain_table(doc, module_name))
		return 0;
	r = append_section(out, existing, len, section.buf, section.len);
	return r < 0 ? r : 1;
}

/* ---- native dependency ---------------------------------------------------------------------- */

/* The version of the [[platform.java21.dependency]] entry with this artifactId (quotes removed),
 * or NULL; *ret_found tells whether the entry exists at all. */
static const char *find_dependency(const struct toml_doc *doc, const char *artifact,
				   bool *ret_found)
{
	const struct toml_array *a = toml_get_array(doc->root, "platform.java21.dependency");

	*ret_found = false;
	if (!a || !a->of_tables)
		return NULL;
	for (size_t i = 0; i < a->n_items; i++) {
		const struct toml_value *e = toml_array_at(a, i);
		const char *id;
		if (e->type != TOML_TABLE)
			continue;
		id = toml_get_string(e->u.table, "artifactId");
		if (id && streq(id, artifact)) {
			*ret_found = true;
			return toml_get_string(e->u.table, "version");
		}
	}
	return NULL;
}

/* Digits of s up to end (or a '-'), as upstream's Integer.parseInt of the patch part would take
 * them; -1 when not a plain number. */
static long parse_part(const char *s, size_t n, bool stop_at_dash)
{
	long v = 0;
	size_t i = 0;

	if (stop_at_dash) {
		const char *dash = memchr(s, '-', n);
		if (dash)
			n = (size_t)(dash - s);
	}
	if (n == 0 || n > 9)
		return -1;
	for (; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int check_version(const char *existing, const char *packed, char *warning,
			 size_t warning_size, struct pd_error *reterr)
{
	char v[128];
	const char *parts[3], *pk[3];
	size_t lens[3], pklens[3], n = 0, k = 0;
	bool compatible;

	/* Quotes stripped, as upstream reads the raw value text. */
	for (const char *c = existing; *c && k + 1 < sizeof(v); c++)
		if (*c != '"')
			v[k++] = *c;
	v[k] = '\0';
	for (const char *p = v;; n++) {
		const char *dot = strchr(p, '.');
		if (n == 3) {
			n = 4;
			break;
		}
		parts[n] = p;
		lens[n] = dot ? (size_t)(dot - p) : strlen(p);
		if (!dot) {
			n++;
			break;
		}
		p = dot + 1;
	}
	for (size_t i = 0, j = 0; i < 3; i++) {
		const char *dot = strchr(packed + j, '.');
		pk[i] = packed + j;
		pklens[i] = dot ? (size_t)(dot - pk[i]) : strlen(pk[i]);
		j += pklens[i] + 1;
	}
	compatible = n == 3 && lens[0] == pklens[0] && memcmp(parts[0], pk[0], lens[0]) == 0 &&
		     lens[1] == pklens[1] && memcmp(parts[1], pk[1], lens[1]) == 0 &&
		     parse_part(parts[2], lens[2], true) >= 0;
	if (!compatible) {
		pd_error_set(
			reterr, NULL, 0, 0, 0,
			"the 'Ballerina.toml' file is already updated with the Persist client "
			"native dependency but the version is not compatible with the version "
			"packed with the tool(existing version: %s, packed version: %s). please "
			"remove the existing dependency and try again.",
			v, packed);
		return -EINVAL;
	}
	if (parse_part(parts[2], lens[2], true) < parse_part(pk[2], pklens[2], true) && warning)
		(void)snprintf(
			warning, warning_size,
			"WARNING: the existing version of the Persist client native "
			"dependency is older than the version packed with the tool. consider "
			"updating the version to avoid potential compatibility issues "
			"(existing version: %s, packed version: %s).",
			v, packed);
	return 0;
}

/* The version the build integration writes: upstream's build tool packs an older SQL native
 * library than `bal persist generate` does (the build cases of the corpus carry 1.6.0). */
static const char *dependency_version(const struct native_dependency *dep, bool build_tool)
{
	if (build_tool && streq(dep->artifact_id, "persist.sql-native"))
		return "1.6.0";
	return dep->version;
}

int gen_native_dependency(const char *text, size_t len, enum datastore d, enum datastore test,
			  bool build_tool, struct buf *out, char *warning, size_t warning_size,
			  struct pd_error *reterr)
{
	_cleanup_(toml_doc_freep) struct toml_doc *doc = NULL;
	_cleanup_buf_ struct buf add = BUF_INIT(BUF_MAX_DEFAULT);
	const struct native_dependency *deps[2] = { datastore_native_dependency(d), NULL };
	int r;

	if (!deps[0])
		return -EINVAL;
	if (test != DATASTORE_INVALID) {
		deps[1] = datastore_native_dependency(test);
		if (deps[1] && streq(deps[1]->artifact_id, deps[0]->artifact_id))
			deps[1] = NULL;
	}
	r = toml_parse(text, len, "Ballerina.toml", &doc, reterr);
	if (r < 0)
		return r;
	/* An empty document is left as it is. */
	if (toml_doc_is_empty(doc))
		return 0;
	if (warning && warning_size > 0)
		warning[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(deps); i++) {
		const char *version;
		bool found;

		if (!deps[i])
			continue;
		version = find_dependency(doc, deps[i]->artifact_id, &found);
		if (found) {
			r = check_version(version ? version : "null",
					  dependency_version(deps[i], build_tool), warning,
					  warning_size, reterr);
			if (r < 0)
				return r;
			continue;
		}
		r = buf_addf(&add,
			     "\n[[platform.java21.dependency]]\ngroupId = \"%s\"\nartifactId = "
			     "\"%s\"\nversion = \"%s\"\n",
			     deps[i]->group_id, deps[i]->artifact_id,
			     dependency_version(deps[i], build_tool));
		if (r < 0)
			return r;
	}
	/* Upstream also appends a line break when nothing else changes; leaving the file alone
	 * then keeps its mtime, and blank lines are not part of the comparison. */
	if (add.len == 0)
		return 0;
	r = buf_add(out, text, len);
	if (r >= 0 && len > 0 && text[len - 1] != '\n')
		r = buf_addc(out, '\n');
	if (r >= 0)
		r = buf_add(out, add.buf, add.len);
	return r < 0 ? r : 1;
}

int gen_persist_toml_entry(enum datastore d, const char *module_name, const char *model,
			   struct buf *out)
{
	int r = buf_addf(out, "[[tool.persist]]\noptions.datastore = \"%s\"\nmodule = \"%s\"\n",
			 datastore_to_string(d), module_name);

	if (r >= 0 && model && *model)
		r = buf_addf(out, "model = \"%s\"\n", model);
	return r;
}

/* A set of names with one value each, for the duplicate and lookup checks of the validator and
 * relation inference: a hostile model with 50000 entities or fields must not make those
 * quadratic, while the usual handful of names should cost no allocation. Up to
 * NAME_MAP_SMALL names live inline and are searched linearly; past that the map switches to
 * open addressing. Keys are borrowed and must outlive the map. */
#ifndef MODELS_NAMES_H
#define MODELS_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/macro.h"

#define NAME_MAP_SMALL 16

struct name_slot {
	const char *key;
	void *value;
	uint32_t hash;
};

struct name_map {
	struct name_slot *slots; /* NULL while the names fit in small */
	size_t cap, n;
	bool fold_case; /* ASCII case-insensitive keys */
	struct name_slot small[NAME_MAP_SMALL];
};

/* Room for expected names without rehashing (no allocation for up to NAME_MAP_SMALL). */
_must_check_ int name_map_init(struct name_map *m, size_t expected, bool fold_case);
void name_map_release(struct name_map *m);
static inline void name_map_releasep(struct name_map *m)
{
	name_map_release(m);
}
/* Add key → value unless key is present. Returns 1 and sets *ret_existing (may be NULL) to
 * the value already there when it is, 0 when it was added, -ENOMEM. */
_must_check_ int name_map_add(struct name_map *m, const char *key, void *value,
			      void **ret_existing);
/* Set key → value, adding key when absent. *ret_old (may be NULL) gets the value it replaced,
 * NULL when it was added. Returns 0 or -ENOMEM. */
_must_check_ int name_map_set(struct name_map *m, const char *key, void *value, void **ret_old);
/* The value of key, NULL when absent. */
void *name_map_get(const struct name_map *m, const char *key);

#endif

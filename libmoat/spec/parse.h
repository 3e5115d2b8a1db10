/* Inside the config parser: typed access to the yajl tree, where every
   error names the field, and the sections of config.json.  */
#ifndef MOAT_SPEC_PARSE_H
#define MOAT_SPEC_PARSE_H

#include <yajl/yajl_tree.h>
#include "spec.h"
#include "../utils.h"

/* json.c */
const char *moat_json_type_name (yajl_val v);
int moat_json_type_error (moat_error **err, const char *field, const char *want,
                          yajl_val got);
/* Member `key` of object `obj`, or NULL (absent or JSON null).  */
yajl_val moat_json_member (yajl_val obj, const char *key);
int moat_json_get_object (yajl_val obj, const char *key, const char *field, yajl_val *out,
                moat_error **err);
int moat_json_get_string (yajl_val obj, const char *key, const char *field, char **out,
                moat_error **err);
int moat_json_get_bool (yajl_val obj, const char *key, const char *field, bool *out,
              moat_error **err);
int moat_json_int_value (yajl_val v, const char *field, long long min, long long max,
               long long *out, moat_error **err);
int moat_json_get_int (yajl_val obj, const char *key, const char *field, long long min,
             long long max, long long *out, bool *present, moat_error **err);
int moat_json_get_u64 (yajl_val obj, const char *key, const char *field, uint64_t *out,
             moat_error **err);
int moat_json_get_strv (yajl_val obj, const char *key, const char *field, char ***out,
              moat_error **err);
int moat_json_get_array (yajl_val obj, const char *key, const char *field, yajl_val *out,
               moat_error **err);
int moat_json_get_string_map (yajl_val obj, const char *key, const char *field,
                      struct moat_annotation **out, size_t *n, moat_error **err);

/* resources.c: a linux.resources object (devices aside) into r; field
   names it in errors */
/* linux.resources.devices of the resources object res (field: its name
   in messages) into *rules, *n (left alone when absent).  */
int moat_device_rules_parse (yajl_val res, const char *field, struct moat_device_rule **rules,
                             size_t *n, moat_error **err);
int moat_resources_parse (yajl_val obj, const char *field, struct moat_resources *r,
                          moat_error **err);

/* process.c: the process object */
int moat_parse_process_section (struct moat_spec *s, yajl_val top, moat_error **err);

/* linux.c: the linux object, and id mappings (also used by mounts) */
int moat_parse_idmaps (yajl_val obj, const char *prefix, const char *key,
                     struct moat_idmap **out, size_t *n, moat_error **err);
int moat_parse_linux_section (struct moat_spec *s, yajl_val top, moat_error **err);

#endif

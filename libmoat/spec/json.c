/* Typed access to the yajl tree for the config parser: every error
   names the field.  */
#include <config.h>
#include "parse.h"
#include <string.h>

const char *
moat_json_type_name (yajl_val v)
{
  if (v == NULL)
    return "nothing";
  switch (v->type)
    {
    case yajl_t_string: return "a string";
    case yajl_t_number: return "a number";
    case yajl_t_object: return "an object";
    case yajl_t_array: return "an array";
    case yajl_t_true: case yajl_t_false: return "a boolean";
    case yajl_t_null: return "null";
    default: return "an unknown value";
    }
}

int
moat_json_type_error (moat_error **err, const char *field, const char *want, yajl_val got)
{
  return moat_error_set (err, 0, "%s: expected %s, got %s", field, want,
                         moat_json_type_name (got));
}

/* Member `key` of object `obj`, or NULL (absent or JSON null).  */
yajl_val
moat_json_member (yajl_val obj, const char *key)
{
  if (obj == NULL || !YAJL_IS_OBJECT (obj))
    return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      {
        yajl_val v = obj->u.object.values[i];
        return YAJL_IS_NULL (v) ? NULL : v;
      }
  return NULL;
}

int
moat_json_get_object (yajl_val obj, const char *key, const char *field, yajl_val *out,
            moat_error **err)
{
  yajl_val v = moat_json_member (obj, key);
  *out = v;
  if (v != NULL && !YAJL_IS_OBJECT (v))
    return moat_json_type_error (err, field, "an object", v);
  return 0;
}

int
moat_json_get_string (yajl_val obj, const char *key, const char *field, char **out,
            moat_error **err)
{
  yajl_val v = moat_json_member (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_STRING (v))
    return moat_json_type_error (err, field, "a string", v);
  *out = xstrdup (YAJL_GET_STRING (v));
  return 0;
}

int
moat_json_get_bool (yajl_val obj, const char *key, const char *field, bool *out,
          moat_error **err)
{
  yajl_val v = moat_json_member (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return moat_json_type_error (err, field, "a boolean", v);
  *out = YAJL_IS_TRUE (v);
  return 0;
}

int
moat_json_int_value (yajl_val v, const char *field, long long min, long long max,
           long long *out, moat_error **err)
{
  if (v == NULL || !YAJL_IS_INTEGER (v))
    {
      if (v != NULL && YAJL_IS_NUMBER (v))
        return moat_error_set (err, 0,
                               "%s: expected an integer in [%lld, %lld], got `%s`",
                               field, min, max, YAJL_GET_NUMBER (v));
      return moat_json_type_error (err, field, "an integer", v);
    }
  long long n = YAJL_GET_INTEGER (v);
  if ((v->u.number.flags & YAJL_NUMBER_INT_VALID) == 0 || n < min || n > max)
    return moat_error_set (err, 0, "%s: %s is out of range [%lld, %lld]", field,
                           YAJL_GET_NUMBER (v), min, max);
  *out = n;
  return 0;
}

int
moat_json_get_int (yajl_val obj, const char *key, const char *field, long long min,
         long long max, long long *out, bool *present, moat_error **err)
{
  yajl_val v = moat_json_member (obj, key);
  if (present)
    *present = v != NULL;
  if (v == NULL)
    return 0;
  return moat_json_int_value (v, field, min, max, out, err);
}

/* An unsigned 64-bit value (rlimits): yajl keeps numbers as text too.  */
int
moat_json_get_u64 (yajl_val obj, const char *key, const char *field, uint64_t *out,
         moat_error **err)
{
  yajl_val v = moat_json_member (obj, key);
  if (v == NULL)
    return moat_error_set (err, 0, "%s: missing", field);
  unsigned long long n;
  if (!YAJL_IS_NUMBER (v) || !moat_parse_uint (YAJL_GET_NUMBER (v), UINT64_MAX, &n))
    {
      if (YAJL_IS_NUMBER (v))
        return moat_error_set (err, 0, "%s: `%s` is not an unsigned 64-bit integer",
                               field, YAJL_GET_NUMBER (v));
      return moat_json_type_error (err, field, "an unsigned integer", v);
    }
  *out = n;
  return 0;
}

int
moat_json_get_strv (yajl_val obj, const char *key, const char *field, char ***out,
          moat_error **err)
{
  yajl_val v = moat_json_member (obj, key);
  if (v == NULL)
    return 0;
  if (!YAJL_IS_ARRAY (v))
    return moat_json_type_error (err, field, "an array of strings", v);
  size_t n = v->u.array.len;
  char **r = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      yajl_val e = v->u.array.values[i];
      if (!YAJL_IS_STRING (e))
        {
          moat_strv_free (r);
          autofree char *f = xasprintf ("%s[%zu]", field, i);
          return moat_json_type_error (err, f, "a string", e);
        }
      r[i] = xstrdup (YAJL_GET_STRING (e));
    }
  *out = r;
  return 0;
}

int
moat_json_get_array (yajl_val obj, const char *key, const char *field, yajl_val *out,
           moat_error **err)
{
  yajl_val v = moat_json_member (obj, key);
  *out = v;
  if (v != NULL && !YAJL_IS_ARRAY (v))
    return moat_json_type_error (err, field, "an array", v);
  return 0;
}

int
moat_json_get_string_map (yajl_val obj, const char *key, const char *field,
                  struct moat_annotation **out, size_t *n, moat_error **err)
{
  yajl_val m;
  if (moat_json_get_object (obj, key, field, &m, err) < 0)
    return -1;
  if (m == NULL)
    return 0;
  *n = m->u.object.len;
  *out = xmalloc0 (*n * sizeof **out);
  for (size_t i = 0; i < *n; i++)
    {
      yajl_val v = m->u.object.values[i];
      autofree char *f = xasprintf ("%s.%s", field, m->u.object.keys[i]);
      if (!YAJL_IS_STRING (v))
        return moat_json_type_error (err, f, "a string", v);
      (*out)[i].key = xstrdup (m->u.object.keys[i]);
      (*out)[i].value = xstrdup (YAJL_GET_STRING (v));
    }
  return 0;
}

/* Strict JSON parsing (libmoat/spec/jsontree.c): the tree is the one
   yajl_tree_parse builds, and the inputs it let through are refused with
   messages that name the place.  */
#include <config.h>
#include "tap.h"
#include "libmoat/spec/jsontree.h"
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NUL_MSG "string contains a NUL character (\\u0000)"

static char *
dup_str (const char *s)
{
  char *r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

/* A string built with printf-style formatting (aborts when out of memory).  */
static char *
fmt (const char *f, ...) __attribute__ ((format (printf, 1, 2)));
static char *
fmt (const char *f, ...)
{
  va_list ap;
  char *s = NULL;
  va_start (ap, f);
  if (vasprintf (&s, f, ap) < 0)
    abort ();
  va_end (ap);
  return s;
}

/* c repeated n times.  */
static char *
repeat (char c, size_t n)
{
  char *s = malloc (n + 1);
  if (s == NULL)
    abort ();
  memset (s, c, n);
  s[n] = '\0';
  return s;
}

/* Parse len bytes; the error message, or NULL when it parsed.  */
static char *
error_of_len (const char *text, size_t len)
{
  moat_error *err = NULL;
  yajl_val v = moat_json_parse (text, len, &err);
  if (v != NULL)
    {
      yajl_tree_free (v);
      moat_error_free (&err);
      return NULL;
    }
  char *msg = dup_str (err && err->msg ? err->msg : "(no message)");
  moat_error_free (&err);
  return msg;
}

static char *
error_of (const char *text)
{
  return error_of_len (text, strlen (text));
}

/* The text must be refused with exactly `want`.  */
static void
expect_exact (const char *text, const char *want, const char *what)
{
  char *msg = error_of (text);
  ok (msg != NULL && strcmp (msg, want) == 0, "%s: `%s` (got: %s)", what, want,
      msg ? msg : "parsed");
  free (msg);
}

/* The text must be refused with a message containing `want`.  */
static void
expect_contains (const char *text, const char *want, const char *what)
{
  char *msg = error_of (text);
  ok (contains (msg, want), "%s: mentions `%s` (got: %s)", what, want, msg ? msg : "parsed");
  free (msg);
}

static bool
has_control_chars (const char *s)
{
  for (; *s; s++)
    if ((unsigned char) *s < 0x20 || (unsigned char) *s == 0x7f)
      return true;
  return false;
}

/* v is a string equal to s.  */
static bool
str_is (yajl_val v, const char *s)
{
  return YAJL_IS_STRING (v) && strcmp (v->u.string, s) == 0;
}

static yajl_val
get (yajl_val top, const char *a, const char *b)
{
  const char *path[] = { a, b, NULL };
  return yajl_tree_get (top, path, yajl_t_any);
}

/* Same shape and contents, numbers down to their bits.  */
static bool
same_tree (yajl_val a, yajl_val b)
{
  if (a == NULL || b == NULL || a->type != b->type)
    return false;
  switch (a->type)
    {
    case yajl_t_string:
      return strcmp (a->u.string, b->u.string) == 0;
    case yajl_t_number:
      return strcmp (a->u.number.r, b->u.number.r) == 0
        && a->u.number.i == b->u.number.i
        && memcmp (&a->u.number.d, &b->u.number.d, sizeof (double)) == 0
        && a->u.number.flags == b->u.number.flags;
    case yajl_t_object:
      if (a->u.object.len != b->u.object.len)
        return false;
      for (size_t i = 0; i < a->u.object.len; i++)
        if (strcmp (a->u.object.keys[i], b->u.object.keys[i]) != 0
            || !same_tree (a->u.object.values[i], b->u.object.values[i]))
          return false;
      return (a->u.object.len == 0) == (a->u.object.keys == NULL);
    case yajl_t_array:
      if (a->u.array.len != b->u.array.len)
        return false;
      for (size_t i = 0; i < a->u.array.len; i++)
        if (!same_tree (a->u.array.values[i], b->u.array.values[i]))
          return false;
      return (a->u.array.len == 0) == (a->u.array.values == NULL);
    default:
      return true;
    }
}

static const char doc[] =
  "/* a comment */ {\n"
  "  \"ociVersion\": \"1.0.2\",  // another\n"
  "  \"n\": 42, \"neg\": -17, \"zero\": 0, \"negzero\": -0,\n"
  "  \"max\": 9223372036854775807, \"min\": -9223372036854775808,\n"
  "  \"big\": 18446744073709551615, \"bigneg\": -18446744073709551615,\n"
  "  \"d\": 1.5, \"e\": -2.5e3, \"E\": 1E2, \"huge\": 1e400,\n"
  "  \"t\": true, \"f\": false, \"z\": null,\n"
  "  \"nested\": {\"a\": [1, [2, [3, {\"b\": \"c\"}]], []], \"o\": {}},\n"
  "  \"ea\": [], \"eo\": {},\n"
  "  \"u\": \"\\u00e9\\ud83d\\ude00\", \"esc\": \"a\\\"b\\\\c\\nd\\/\", \"empty\": \"\",\n"
  "  \"\": \"empty key\"\n"
  "}\n";

static void
test_roundtrip (void)
{
  moat_error *err = NULL;
  yajl_val top = moat_json_parse (doc, strlen (doc), &err);
  ok (top != NULL && err == NULL, "a document with every kind of value parses (%s)",
      err ? err->msg : "ok");
  if (top == NULL)
    {
      moat_error_free (&err);
      return;
    }
  ok (YAJL_IS_OBJECT (top) && top->u.object.len == 23, "top level has all 23 members");
  ok (YAJL_IS_OBJECT (top) && top->u.object.len == 23
      && strcmp (top->u.object.keys[0], "ociVersion") == 0
      && strcmp (top->u.object.keys[4], "negzero") == 0
      && strcmp (top->u.object.keys[22], "") == 0, "keys kept in document order");
  yajl_val v = get (top, "ociVersion", NULL);
  ok (str_is (v, "1.0.2"), "a string");
  v = get (top, "n", NULL);
  ok (YAJL_IS_INTEGER (v) && YAJL_GET_INTEGER (v) == 42 && YAJL_IS_DOUBLE (v)
      && YAJL_GET_DOUBLE (v) == 42.0 && strcmp (YAJL_GET_NUMBER (v), "42") == 0,
      "42: integer, double and text");
  v = get (top, "neg", NULL);
  ok (YAJL_IS_INTEGER (v) && YAJL_GET_INTEGER (v) == -17, "-17 is an integer");
  v = get (top, "negzero", NULL);
  ok (YAJL_IS_INTEGER (v) && YAJL_GET_INTEGER (v) == 0
      && strcmp (YAJL_GET_NUMBER (v), "-0") == 0, "-0 keeps its text");
  v = get (top, "max", NULL);
  ok (YAJL_IS_INTEGER (v) && YAJL_GET_INTEGER (v) == LLONG_MAX, "LLONG_MAX is an integer");
  v = get (top, "min", NULL);
  ok (YAJL_IS_NUMBER (v) && !YAJL_IS_INTEGER (v) && YAJL_IS_DOUBLE (v)
      && YAJL_GET_INTEGER (v) == LLONG_MIN
      && strcmp (YAJL_GET_NUMBER (v), "-9223372036854775808") == 0,
      "-9223372036854775808 is not integer-valid (as in yajl_tree), i = LLONG_MIN");
  v = get (top, "big", NULL);
  ok (YAJL_IS_NUMBER (v) && !YAJL_IS_INTEGER (v) && YAJL_IS_DOUBLE (v)
      && YAJL_GET_INTEGER (v) == LLONG_MAX
      && strcmp (YAJL_GET_NUMBER (v), "18446744073709551615") == 0
      && YAJL_GET_DOUBLE (v) == 18446744073709551615.0,
      "18446744073709551615: text kept, double only");
  v = get (top, "bigneg", NULL);
  ok (YAJL_IS_NUMBER (v) && !YAJL_IS_INTEGER (v) && YAJL_GET_INTEGER (v) == LLONG_MIN,
      "-18446744073709551615: not an integer, i = LLONG_MIN");
  v = get (top, "d", NULL);
  ok (YAJL_IS_DOUBLE (v) && !YAJL_IS_INTEGER (v) && YAJL_GET_DOUBLE (v) == 1.5
      && YAJL_GET_INTEGER (v) == LLONG_MAX, "1.5: double only, i = LLONG_MAX");
  v = get (top, "e", NULL);
  ok (YAJL_IS_DOUBLE (v) && YAJL_GET_DOUBLE (v) == -2500.0 && YAJL_GET_INTEGER (v) == LLONG_MIN,
      "-2.5e3: double only, i = LLONG_MIN");
  v = get (top, "E", NULL);
  ok (YAJL_IS_DOUBLE (v) && YAJL_GET_DOUBLE (v) == 100.0
      && strcmp (YAJL_GET_NUMBER (v), "1E2") == 0, "1E2 keeps its text");
  v = get (top, "huge", NULL);
  ok (YAJL_IS_NUMBER (v) && v->u.number.flags == 0, "1e400: neither integer nor double");
  ok (YAJL_IS_TRUE (get (top, "t", NULL)) && YAJL_IS_FALSE (get (top, "f", NULL))
      && YAJL_IS_NULL (get (top, "z", NULL)), "true, false, null");
  v = get (top, "nested", "a");
  ok (YAJL_IS_ARRAY (v) && v->u.array.len == 3
      && YAJL_GET_INTEGER (v->u.array.values[0]) == 1
      && YAJL_IS_ARRAY (v->u.array.values[1])
      && YAJL_IS_ARRAY (v->u.array.values[2]) && v->u.array.values[2]->u.array.len == 0,
      "nested arrays");
  yajl_val deep = v->u.array.values[1]->u.array.values[1]->u.array.values[1];
  ok (str_is (get (deep, "b", NULL), "c"),
      "an object inside nested arrays");
  v = get (top, "nested", "o");
  ok (YAJL_IS_OBJECT (v) && v->u.object.len == 0 && v->u.object.keys == NULL
      && v->u.object.values == NULL, "empty nested object, as yajl_tree builds it");
  v = get (top, "ea", NULL);
  ok (YAJL_IS_ARRAY (v) && v->u.array.len == 0 && v->u.array.values == NULL, "empty array");
  v = get (top, "eo", NULL);
  ok (YAJL_IS_OBJECT (v) && v->u.object.len == 0, "empty object");
  v = get (top, "u", NULL);
  ok (str_is (v, "\xc3\xa9\xf0\x9f\x98\x80"),
      "\\u escapes and surrogate pairs decode to UTF-8");
  v = get (top, "esc", NULL);
  ok (str_is (v, "a\"b\\c\nd/"),
      "escapes decode");
  v = get (top, "empty", NULL);
  ok (str_is (v, ""), "empty string");
  ok (YAJL_IS_STRING (get (top, "", NULL)), "empty key");

  char ebuf[256];
  yajl_val ref = yajl_tree_parse (doc, ebuf, sizeof ebuf);
  ok (ref != NULL && same_tree (top, ref), "the same tree as yajl_tree_parse");
  yajl_tree_free (ref);
  yajl_tree_free (top);
  moat_error_free (&err);
}

/* Differential: every document gives exactly yajl_tree_parse's tree.  */
static void
test_same_as_yajl (void)
{
  static const char *const docs[] = {
    "0", "-1", "1.0", "\"s\"", "true", "false", "null", "[]", "{}",
    "  [ 1 , 2 ]  ", "[1] // trailing comment", "/**/[/**/1/**/]/**/",
    "[0, -0, 1, -1, 9, 10, 99, 123456789012345678, -123456789012345678,"
    " 922337203685477580, 922337203685477581, 9223372036854775806,"
    " 9223372036854775807, 9223372036854775808, 9223372036854775809,"
    " 9223372036854775810, 9223372036854775899, 92233720368547758070,"
    " -9223372036854775807, -9223372036854775808, -9223372036854775809,"
    " 18446744073709551615, 18446744073709551616, 99999999999999999999999999,"
    " 0.0, -0.0, 0.5, 1e0, 1E+2, 1e-2, -1.25e-3, 1e308, 1e309, -1e309, 1e-320,"
    " 1e-400, 4.9e-324, 2.2250738585072014e-308, 1.7976931348623157e308,"
    " 3.141592653589793238462643383279]",
    "{\"a\": {\"b\": {\"c\": [true, false, null, {\"d\": []}]}}, \"e\": \"\\u0041\\t\"}",
    "[\"\\ud800\", \"\\udc00x\", \"\\u20ac\", \"caf\xc3\xa9\"]",
    "{\"k1\": 1, \"k2\": [1, [2, [3]]], \"k3\": {}, \"k4\": [], \"k5\": \"\"}",
  };
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
    {
      moat_error *err = NULL;
      char ebuf[256];
      yajl_val mine = moat_json_parse (docs[i], strlen (docs[i]), &err);
      yajl_val ref = yajl_tree_parse (docs[i], ebuf, sizeof ebuf);
      ok (mine != NULL && ref != NULL && same_tree (mine, ref),
          "same tree as yajl_tree_parse for document %zu (%s)", i, err ? err->msg : "ok");
      yajl_tree_free (mine);
      yajl_tree_free (ref);
      moat_error_free (&err);
    }

  /* a big object and array, and deep nesting within the limit */
  size_t cap = 1 << 20;
  char *big = malloc (cap);
  if (big == NULL)
    abort ();
  size_t n = 0;
  n += (size_t) snprintf (big + n, cap - n, "{");
  for (int i = 0; i < 2000; i++)
    n += (size_t) snprintf (big + n, cap - n, "%s\"key%d\": [%d, \"v%d\", %d.5]",
                            i ? ", " : "", i, i, i, -i);
  n += (size_t) snprintf (big + n, cap - n, ", \"deep\": ");
  for (int i = 0; i < MOAT_JSON_MAX_DEPTH - 1; i++)
    n += (size_t) snprintf (big + n, cap - n, i % 2 ? "{\"x\": " : "[");
  n += (size_t) snprintf (big + n, cap - n, "1");
  for (int i = MOAT_JSON_MAX_DEPTH - 2; i >= 0; i--)
    n += (size_t) snprintf (big + n, cap - n, i % 2 ? "}" : "]");
  n += (size_t) snprintf (big + n, cap - n, "}");
  moat_error *err = NULL;
  char ebuf[256];
  yajl_val mine = moat_json_parse (big, n, &err);
  yajl_val ref = yajl_tree_parse (big, ebuf, sizeof ebuf);
  ok (mine != NULL && ref != NULL && same_tree (mine, ref) && mine->u.object.len == 2001,
      "2000 members and 256 levels: same tree as yajl_tree_parse (%s)",
      err ? err->msg : "ok");
  yajl_tree_free (mine);
  yajl_tree_free (ref);
  moat_error_free (&err);
  free (big);
}

static void
test_nul_in_strings (void)
{
  expect_exact ("{\"process\": {\"args\": [\"sh\", \"a\\u0000b\"]}}",
                "process.args[1]: " NUL_MSG, "NUL in an array element");
  expect_exact ("{\"process\": {\"env\": [\"A=1\", \"B=2\", \"C=3\", \"D=\\u0000\"]}}",
                "process.env[3]: " NUL_MSG, "NUL at the end of a value");
  expect_exact ("{\"root\": {\"path\": \"\\u0000rootfs\"}}",
                "root.path: " NUL_MSG, "NUL at the start of a value");
  expect_exact ("{\"linux\": {\"sysctl\": {\"kernel.x\": \"1\\u0000\"}}}",
                "linux.sysctl.\"kernel.x\": " NUL_MSG, "NUL under a key with a dot");
  expect_exact ("{\"a\": [[1, [\"x\", \"y\\u0000\"]]]}",
                "a[0][1][1]: " NUL_MSG, "NUL in a nested array element");
  expect_exact ("[[1], {\"a\": 1}, [], \"x\\u0000\"]",
                "[3]: " NUL_MSG, "array index counts containers before it");
  expect_exact ("{\"mounts\": [{\"options\": [\"ro\"]}, {\"options\": [\"rw\", \"\\u0000\"]}]}",
                "mounts[1].options[1]: " NUL_MSG, "NUL deep in an array of objects");
  expect_exact ("\"abc\\u0000def\"", "(top level): " NUL_MSG, "NUL in a top-level string");
  expect_exact ("{\"\": [\"\\u0000\"]}", "\"\"[0]: " NUL_MSG, "NUL under an empty key");
  expect_exact ("{\"linux\": {\"sysctl\": {\"kernel.x\\u0000y\": \"1\"}}}",
                "linux.sysctl: key \"kernel.x\\x00y\" contains a NUL character (\\u0000)",
                "NUL in a key");
  expect_exact ("{\"a\\u0000\": 1}",
                "(top level): key \"a\\x00\" contains a NUL character (\\u0000)",
                "NUL in a top-level key");
  expect_exact ("[{\"ok\": 1}, {\"ok\": 1, \"\\u0000\": 2}]",
                "[1]: key \"\\x00\" contains a NUL character (\\u0000)",
                "NUL as a whole key");
  char *msg = error_of ("{\"a\": \"\\u00e9\\u0001\\u001f\"}");
  ok (msg == NULL, "other control characters in a value are still accepted");
  free (msg);
}

static void
test_duplicates (void)
{
  expect_exact ("{\"a\": 1, \"b\": 2, \"a\": 3}", "(top level): duplicate key \"a\"",
                "duplicate key at top level");
  expect_exact ("{\"ociVersion\": \"1.0.2\", \"linux\": {\"namespaces\": [{\"type\": \"mount\"}],"
                " \"sysctl\": {}, \"namespaces\": []}}",
                "linux: duplicate key \"namespaces\"", "duplicate key nested");
  expect_exact ("{\"mounts\": [{\"a\": 1}, {\"type\": \"a\", \"type\": \"b\"}]}",
                "mounts[1]: duplicate key \"type\"", "duplicate key in an array element");
  expect_exact ("{\"linux\": {\"sysctl\": {\"kernel.x\": \"1\", \"kernel.x\": \"2\"}}}",
                "linux.sysctl: duplicate key \"kernel.x\"", "duplicate dotted key");
  expect_exact ("{\"a\": {\"b\": [0, {\"c\": {\"d\": 1, \"d\": 1}}]}}",
                "a.b[1].c: duplicate key \"d\"", "duplicate with the same value");
  expect_exact ("{\"x\": {\"k\": 1, \"k\": {\"y\": 1}}}", "x: duplicate key \"k\"",
                "duplicate whose value is an object");
  expect_exact ("{\"\": 1, \"\": 2}", "(top level): duplicate key \"\"", "duplicate empty key");
  expect_exact ("{\"b\": 1, \"a\": 1, \"b\": 2, \"a\": 2}", "(top level): duplicate key \"b\"",
                "the first repeat in document order is named");
  expect_exact ("{\"a\": 1, \"b\": 1, \"b\": 2, \"a\": 2}", "(top level): duplicate key \"b\"",
                "the first repeat in document order is named (2)");

  char *msg = error_of ("{\"a\": {\"x\": 1}, \"b\": {\"x\": 1}, \"ab\": 1, \"a.b\": 2, \"A\": 3,"
                        " \"\": 4, \"a \": 5}");
  ok (msg == NULL, "equal keys in different objects and near-equal keys are fine (%s)",
      msg ? msg : "ok");
  free (msg);

  /* large objects are checked by sorting: same answers */
  char *big = dup_str ("{");
  for (int i = 0; i < 40; i++)
    {
      char *next = fmt ("%s%s\"k%d\": %d", big, i ? ", " : "", i, i);
      free (big);
      big = next;
    }
  char *nodup = fmt ("%s}", big);
  msg = error_of (nodup);
  ok (msg == NULL, "40 distinct keys parse (%s)", msg ? msg : "ok");
  free (msg);
  moat_error *err = NULL;
  yajl_val v = moat_json_parse (nodup, strlen (nodup), &err);
  ok (v != NULL && v->u.object.len == 40 && strcmp (v->u.object.keys[39], "k39") == 0
      && YAJL_GET_INTEGER (v->u.object.values[17]) == 17, "40 keys kept in order");
  yajl_tree_free (v);
  moat_error_free (&err);
  char *dups = fmt ("%s, \"k5\": 0, \"k3\": 0, \"k5\": 1}", big);
  expect_exact (dups, "(top level): duplicate key \"k5\"",
                "large object: the first repeat in document order is named");
  char *nested = fmt ("{\"outer\": [%s, \"k39\": 0}]}", big);
  expect_exact (nested, "outer[0]: duplicate key \"k39\"", "large nested object");
  free (nested);
  free (dups);
  free (nodup);
  free (big);
}

static void
test_invalid (void)
{
  static const char *const bad[] = {
    "", "   ", "/* only a comment */", "{", "{\"a\": ", "{\"a\": }", "[1, 2", "[1,]",
    "{\"a\" 1}", "{a: 1}", "[01]", "[1.]", "[.5]", "['x']", "[\"a\tb\"]", "[\"\\x41\"]",
    "[\"\xff\"]", "[\"\xc3\"]", "[tru]", "[NaN]", "{\"a\": 1,}", "}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      char *msg = error_of (bad[i]);
      ok (msg != NULL && strncmp (msg, "invalid JSON: ", 14) == 0 && !has_control_chars (msg),
          "invalid document %zu refused on one line (%s)", i, msg ? msg : "parsed");
      free (msg);
    }
  expect_exact ("{\"ociVersion\": ", "invalid JSON: parse error: premature EOF", "truncated");
  expect_exact ("[\"\xff\"]", "invalid JSON: lexical error: invalid bytes in UTF8 string.",
                "invalid UTF-8 is refused, as by yajl_tree_parse");
  char *msg = error_of_len (NULL, 0);
  ok (contains (msg, "invalid JSON: "), "no text at all (%s)", msg ? msg : "parsed");
  free (msg);

  /* trailing garbage */
  expect_exact ("{} x", "invalid JSON: parse error: trailing garbage", "trailing garbage");
  expect_exact ("{\"a\": 1} {\"a\": 2}", "invalid JSON: parse error: trailing garbage",
                "a second document");
  expect_exact ("[1]]", "invalid JSON: parse error: trailing garbage", "an extra bracket");
  msg = error_of ("{\"a\": 1}  \n\t /* fine */ // also fine\n");
  ok (msg == NULL, "white space and comments after the value are fine (%s)", msg ? msg : "ok");
  free (msg);
  /* len is honoured: the garbage past it is not part of the text */
  msg = error_of_len ("[1, 2]garbage", 6);
  ok (msg == NULL, "only len bytes are parsed (%s)", msg ? msg : "ok");
  free (msg);
}

static void
test_nul_bytes (void)
{
  static const char with_nul[] = "{\"a\": 1}\0{\"a\": 2}";
  char *msg = error_of_len (with_nul, sizeof with_nul - 1);
  ok (msg != NULL && strcmp (msg, "invalid JSON: NUL byte at offset 8") == 0,
      "NUL byte between documents (%s)", msg ? msg : "parsed");
  free (msg);
  static const char in_string[] = "{\"a\": \"x\0y\"}";
  msg = error_of_len (in_string, sizeof in_string - 1);
  ok (msg != NULL && strcmp (msg, "invalid JSON: NUL byte at offset 8") == 0,
      "NUL byte inside a string (%s)", msg ? msg : "parsed");
  free (msg);
  msg = error_of_len ("{}", 3);
  ok (msg != NULL && strcmp (msg, "invalid JSON: NUL byte at offset 2") == 0,
      "the terminator counted in len (%s)", msg ? msg : "parsed");
  free (msg);
}

static void
test_depth (void)
{
  int limit = MOAT_JSON_MAX_DEPTH;
  char *open = repeat ('[', (size_t) limit), *close = repeat (']', (size_t) limit);
  char *ok_doc = fmt ("%s%s", open, close);
  char *msg = error_of (ok_doc);
  ok (msg == NULL, "%d levels are fine (%s)", limit, msg ? msg : "ok");
  free (msg);
  char *deep = fmt ("[%s%s]", open, close);
  msg = error_of (deep);
  ok (contains (msg, ": nesting deeper than 256 levels"), "%d levels are refused (%s)",
      limit + 1, msg ? msg : "parsed");
  ok (msg != NULL && strncmp (msg, "[0][0][0]", 9) == 0 && contains (msg, "...: nesting")
      && strlen (msg) < 600, "the long path is cut short (%zu characters)",
      msg ? strlen (msg) : 0);
  free (msg);
  char *unclosed = repeat ('[', 100000);
  msg = error_of (unclosed);
  ok (contains (msg, "nesting deeper than 256 levels"),
      "100000 open brackets: the depth is refused before EOF");
  free (msg);
  free (unclosed);

  /* objects: the path shows keys */
  char *objs = dup_str ("1");
  for (int i = 0; i < limit + 1; i++)
    {
      char *next = fmt ("{\"a\": %s}", objs);
      free (objs);
      objs = next;
    }
  msg = error_of (objs);
  ok (msg != NULL && strncmp (msg, "a.a.a.a", 7) == 0
      && contains (msg, "...: nesting deeper than 256 levels"),
      "nested objects: path of keys, cut short (%.40s...)", msg ? msg : "parsed");
  free (msg);
  free (objs);
  /* a short path to the level that is too deep */
  char *mixed = fmt ("{\"x\": %s}", ok_doc);
  expect_contains (mixed, "x[0][0][0]", "object above deep arrays");
  expect_contains (mixed, "...: nesting deeper than 256 levels", "object above deep arrays");
  free (mixed);
  free (deep);
  free (ok_doc);
  free (open);
  free (close);
}

static void
test_message_safety (void)
{
  /* a huge key is shortened to 64 bytes and "..." */
  char *k = repeat ('k', 10000);
  char *k64 = repeat ('k', 64);
  char *json = fmt ("{\"%s\": 1, \"%s\": 2}", k, k);
  char *want = fmt ("(top level): duplicate key \"%s...\"", k64);
  expect_exact (json, want, "huge duplicate key shortened");
  free (want);
  free (json);
  json = fmt ("{\"%s\": [\"\\u0000\"]}", k);
  want = fmt ("%s...[0]: " NUL_MSG, k64);
  expect_exact (json, want, "huge plain key in a path shortened");
  free (want);
  free (json);
  json = fmt ("{\"a.%s\": {\"%s\": \"\\u0000\"}}", k, k);
  char *k62 = repeat ('k', 62);
  want = fmt ("\"a.%s...\".%s...: " NUL_MSG, k62, k64);
  expect_exact (json, want, "huge quoted key in a path shortened");
  free (k62);
  free (want);
  free (json);
  json = fmt ("{\"%s\\u0000\": 1}", k);
  want = fmt ("(top level): key \"%s...\" contains a NUL character (\\u0000)", k64);
  expect_exact (json, want, "huge key with a NUL shortened");
  free (want);
  free (json);
  /* many huge keys: the path stays bounded */
  char *chain = dup_str ("\"\\u0000\"");
  for (int i = 0; i < 50; i++)
    {
      char *next = fmt ("{\"%s%d\": %s}", k, i, chain);
      free (chain);
      chain = next;
    }
  char *msg = error_of (chain);
  ok (msg != NULL && strlen (msg) < 600 && contains (msg, "...: " NUL_MSG),
      "a path of 50 huge keys stays short (%zu characters)", msg ? strlen (msg) : 0);
  free (msg);
  free (chain);
  free (k);
  free (k64);

  /* a multibyte character is not cut in the middle */
  char *e = dup_str ("a");
  for (int i = 0; i < 40; i++)
    {
      char *next = fmt ("%s\xc3\xa9", e);
      free (e);
      e = next;
    }
  json = fmt ("{\"%s\": 1, \"%s\": 2}", e, e);
  char *e31 = strndup (e, 63);
  want = fmt ("(top level): duplicate key \"%s...\"", e31);
  expect_exact (json, want, "key cut on a UTF-8 character boundary");
  free (e31);
  free (want);
  free (json);
  free (e);

  /* control characters are escaped, in keys named and in paths */
  expect_exact ("{\"a\\u001b[31mb\": 1, \"a\\u001b[31mb\": 2}",
                "(top level): duplicate key \"a\\x1b[31mb\"", "escape sequence in a key");
  expect_exact ("{\"l\\nm\\t\\r\": 1, \"l\\nm\\t\\r\": 2}",
                "(top level): duplicate key \"l\\x0am\\x09\\x0d\"", "newline and tab in a key");
  expect_exact ("{\"x\\u009by\\u007f\": 1, \"x\\u009by\\u007f\": 2}",
                "(top level): duplicate key \"x\\xc2\\x9by\\x7f\"", "C1 control and DEL in a key");
  expect_exact ("{\"q\\\"\\\\\": 1, \"q\\\"\\\\\": 2}",
                "(top level): duplicate key \"q\\\"\\\\\"", "quote and backslash in a key");
  expect_exact ("{\"a\\nb\": [\"ok\", \"x\\u0000\"]}", "\"a\\x0ab\"[1]: " NUL_MSG,
                "control character in a path");
  expect_exact ("{\"a\\u001b\\u0000\": 1}",
                "(top level): key \"a\\x1b\\x00\" contains a NUL character (\\u0000)",
                "control characters in a key with a NUL");
  char *weird = error_of ("{\"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\u0008"
                          "\\u000b\\u000c\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013"
                          "\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001c"
                          "\\u001d\\u001e\\u001f\\u007f\": {\"\\u0085\": [\"\\u0000\"]}}");
  ok (weird != NULL && !has_control_chars (weird) && strstr (weird, "\xc2\x85") == NULL,
      "no raw control characters in the message (%s)", weird ? weird : "parsed");
  free (weird);
}

static void
test_errors_and_trees_freed (void)
{
  /* errors after much of the tree is built: valgrind checks it is freed */
  char *json = dup_str ("{\"a\": [");
  for (int i = 0; i < 500; i++)
    {
      char *next = fmt ("%s{\"s\": \"v%d\", \"n\": %d, \"l\": [true, null, 1.5]}, ", json, i, i);
      free (json);
      json = next;
    }
  static const char *const tails[] = {
    "\"\\u0000\"]}", "{\"k\": 1, \"k\": 2}]}", "{\"\\u0000\": 1}]}", "1]", "1] x",
  };
  for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++)
    {
      char *doc_i = fmt ("%s%s", json, tails[i]);
      char *msg = error_of (doc_i);
      ok (msg != NULL, "error %zu after 500 elements (%s)", i, msg ? msg : "parsed");
      free (msg);
      free (doc_i);
    }
  free (json);
  /* err may be NULL */
  ok (moat_json_parse ("[\"\\u0000\"]", 10, NULL) == NULL, "a NULL err is allowed");
  /* an error already set is kept */
  moat_error *err = NULL;
  moat_error_set (&err, 0, "earlier");
  ok (moat_json_parse ("{", 1, &err) == NULL && strcmp (err->msg, "earlier") == 0,
      "an error already set is not replaced");
  moat_error_free (&err);
}

int
main (void)
{
  test_roundtrip ();
  test_same_as_yajl ();
  test_nul_in_strings ();
  test_duplicates ();
  test_invalid ();
  test_nul_bytes ();
  test_depth ();
  test_message_safety ();
  test_errors_and_trees_freed ();
  return tap_done ();
}

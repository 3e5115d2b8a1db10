/* libFuzzer target: the strict JSON tree builder (moat_json_parse).
   Whatever the input: no crash, leak or undefined behaviour; an error
   message without raw control characters and of bounded length (as
   jsontree.h promises); and every document it accepts, yajl_tree_parse
   accepts too, giving a tree of the same shape (types, keys in order,
   strings, number texts and values).  */
#include <config.h>
#include "fuzz-common.h"
#include "libmoat/spec/jsontree.h"
#include <limits.h>
#include <math.h>
#include <yajl/yajl_tree.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  fuzz_quiet ();
  return 0;
}

static void
check_message (const char *msg)
{
  size_t len = strlen (msg);
  fuzz_check (len < 1100, "error message of %zu bytes", len);
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) msg[i];
      fuzz_check (c >= 0x20 && c != 0x7f, "raw control character 0x%02x at %zu in "
                  "the message: %s", c, i, msg);
      fuzz_check (!(c == 0xc2 && i + 1 < len && (unsigned char) msg[i + 1] >= 0x80
                    && (unsigned char) msg[i + 1] <= 0x9f),
                  "raw C1 control character at %zu in the message: %s", i, msg);
    }
}

/* The same shape, node by node.  */
static void
same_tree (yajl_val a, yajl_val b, int depth)
{
  fuzz_check (a != NULL && b != NULL, "NULL node at depth %d", depth);
  fuzz_check (a->type == b->type, "type %d vs yajl's %d at depth %d", a->type, b->type,
              depth);
  switch (a->type)
    {
    case yajl_t_string:
      fuzz_check (a->u.string && b->u.string && strcmp (a->u.string, b->u.string) == 0,
                  "string differs at depth %d", depth);
      break;
    case yajl_t_number:
      fuzz_check (strcmp (a->u.number.r, b->u.number.r) == 0,
                  "number text `%s` vs yajl's `%s`", a->u.number.r, b->u.number.r);
      /* yajl_parse_integer overflows (undefined behaviour in yajl) for some
         19-digit values it should call out of range: compare the integer
         only where moat says it is valid */
      if (a->u.number.flags & YAJL_NUMBER_INT_VALID)
        fuzz_check ((b->u.number.flags & YAJL_NUMBER_INT_VALID)
                    && a->u.number.i == b->u.number.i,
                    "integer of `%s`: %lld vs yajl's %lld (flags %d/%d)", a->u.number.r,
                    a->u.number.i, b->u.number.i, a->u.number.flags, b->u.number.flags);
      else
        fuzz_check (a->u.number.i == (a->u.number.r[0] == '-' ? LLONG_MIN : LLONG_MAX),
                    "invalid integer `%s` has value %lld", a->u.number.r,
                    a->u.number.i);
      fuzz_check ((a->u.number.flags & YAJL_NUMBER_DOUBLE_VALID)
                  == (b->u.number.flags & YAJL_NUMBER_DOUBLE_VALID),
                  "double validity of `%s` differs", a->u.number.r);
      fuzz_check ((isnan (a->u.number.d) && isnan (b->u.number.d))
                  || a->u.number.d == b->u.number.d,
                  "double of `%s` differs", a->u.number.r);
      break;
    case yajl_t_object:
      fuzz_check (a->u.object.len == b->u.object.len, "object of %zu members vs "
                  "yajl's %zu at depth %d", a->u.object.len, b->u.object.len, depth);
      for (size_t i = 0; i < a->u.object.len; i++)
        {
          fuzz_check (strcmp (a->u.object.keys[i], b->u.object.keys[i]) == 0,
                      "key %zu differs at depth %d", i, depth);
          same_tree (a->u.object.values[i], b->u.object.values[i], depth + 1);
        }
      break;
    case yajl_t_array:
      fuzz_check (a->u.array.len == b->u.array.len, "array of %zu values vs yajl's "
                  "%zu at depth %d", a->u.array.len, b->u.array.len, depth);
      for (size_t i = 0; i < a->u.array.len; i++)
        same_tree (a->u.array.values[i], b->u.array.values[i], depth + 1);
      break;
    default:
      break;
    }
}

/* The strict parser's own guarantees on an accepted tree: no duplicate
   keys, no NUL in strings (they are C strings: nothing to see), nesting
   within the limit.  */
static void
check_strict (yajl_val v, int depth)
{
  if (YAJL_IS_OBJECT (v) || YAJL_IS_ARRAY (v))
    depth++;
  fuzz_check (depth <= MOAT_JSON_MAX_DEPTH, "nesting of %d levels accepted", depth);
  if (YAJL_IS_OBJECT (v))
    {
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          for (size_t j = 0; j < i && j < 64; j++)
            fuzz_check (strcmp (v->u.object.keys[i], v->u.object.keys[j]) != 0,
                        "duplicate key accepted");
          check_strict (v->u.object.values[i], depth);
        }
    }
  else if (YAJL_IS_ARRAY (v))
    for (size_t i = 0; i < v->u.array.len; i++)
      check_strict (v->u.array.values[i], depth);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* an exact-size copy: ASan catches a read one byte past the end */
  char *exact = malloc (size ? size : 1);
  if (exact == NULL)
    abort ();
  if (size)
    memcpy (exact, data, size);
  moat_error *err = NULL;
  yajl_val t = moat_json_parse (exact, size, &err);
  free (exact);
  fuzz_check_result (t == NULL, err, "moat_json_parse");
  if (t == NULL)
    {
      check_message (err->msg);
      moat_error_free (&err);
      return 0;
    }
  check_strict (t, 0);
  /* what moat accepts has no NUL byte: yajl_tree_parse sees all of it */
  char *text = fuzz_text (data, size);
  char ebuf[256] = "";
  yajl_val y = yajl_tree_parse (text, ebuf, sizeof ebuf);
  free (text);
  fuzz_check (y != NULL, "moat accepted a document yajl_tree_parse refuses: %s", ebuf);
  same_tree (t, y, 0);
  yajl_tree_free (y);
  yajl_tree_free (t);
  return 0;
}

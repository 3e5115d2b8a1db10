/* Strict JSON parsing into a yajl tree: yajl's callback parser, building
   the nodes the way yajl_tree.c does so that yajl_tree_free frees them,
   plus the checks yajl_tree_parse lacks (see jsontree.h).

   Layout contract with yajl_tree_free (yajl 2.1):
     - every node is one malloc'd struct yajl_val_s;
     - a string owns u.string (malloc'd, NUL-terminated);
     - a number owns u.number.r (malloc'd text), i/d/flags filled in;
     - an object owns u.object.keys and u.object.values (malloc'd arrays,
       NULL when empty) and every key string;
     - an array owns u.array.values (malloc'd array, NULL when empty).
   The arrays may be larger than len: yajl_tree_free only frees them.

   Each container is linked into its parent (or made the root) as soon as
   it opens, so at any point everything allocated except the key waiting
   for its value hangs off ctx.root, and cleanup after an error is
   yajl_tree_free (root) plus that one key.  */
#include <config.h>
#include "jsontree.h"
#include "../utils.h"
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* Keys in messages are shown up to this many bytes.  */
#define KEY_SHOWN 64
/* Room for one key as shown: each byte may become "\xNN" (4 characters),
   plus quotes, a leading dot, "..." and the terminator.  */
#define KEY_BUF (KEY_SHOWN * 4 + 16)
/* Room for a whole path as shown.  */
#define PATH_BUF 512
/* Objects with more keys than this are checked for duplicates by sorting.  */
#define SMALL_OBJECT 16

struct frame
{
  yajl_val node;        /* the open object or array, already in the tree */
  size_t cap;           /* slots allocated in its keys/values arrays */
  size_t index;         /* array: index of the element being parsed */
  const char *key;      /* object: key of the member being parsed */
};

struct ctx
{
  yajl_val root;
  struct frame *frames; /* open containers, outermost first */
  size_t depth;         /* frames in use */
  size_t frames_cap;
  char *pending_key;    /* key read whose value is not linked yet */
  bool failed;          /* a callback refused; *err is set */
  moat_error **err;
};

/* ---- messages ---- */

/* A bounded string: appends past the end are dropped.  */
struct sbuf
{
  char *buf;
  size_t size;          /* > 0 */
  size_t len;
};

static void
sb_putc (struct sbuf *sb, char c)
{
  if (sb->len + 1 < sb->size)
    sb->buf[sb->len++] = c;
  sb->buf[sb->len] = '\0';
}

static void
sb_puts (struct sbuf *sb, const char *s)
{
  for (; *s; s++)
    sb_putc (sb, *s);
}

static void
sb_hex (struct sbuf *sb, unsigned char c)
{
  static const char digits[] = "0123456789abcdef";
  sb_puts (sb, "\\x");
  sb_putc (sb, digits[c >> 4]);
  sb_putc (sb, digits[c & 0xf]);
}

/* A key that reads unambiguously without quotes in a dotted path.  */
static bool
plain_key (const char *key, size_t len)
{
  if (len == 0)
    return false;
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) key[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '_' || c == '-'))
        return false;
    }
  return true;
}

/* Append key (len bytes, may contain NUL) as shown in messages: quoted
   unless quote_if_needed and the key is plain; at most KEY_SHOWN bytes of
   it, cut on a UTF-8 character boundary and followed by "..."; C0 and C1
   control characters and DEL as \xNN; inside quotes, " and \ escaped.
   Appends at most KEY_BUF - 1 characters.  */
static void
sb_key (struct sbuf *sb, const char *key, size_t len, bool quote_if_needed)
{
  bool quote = !quote_if_needed || !plain_key (key, len);
  size_t shown = len;
  if (shown > KEY_SHOWN)
    {
      shown = KEY_SHOWN;
      /* yajl validated the UTF-8: back up to the start of a character */
      while (shown > 0 && ((unsigned char) key[shown] & 0xc0) == 0x80)
        shown--;
    }
  if (quote)
    sb_putc (sb, '"');
  for (size_t i = 0; i < shown; i++)
    {
      unsigned char c = (unsigned char) key[i];
      if (c < 0x20 || c == 0x7f)
        sb_hex (sb, c);
      else if (c == 0xc2 && i + 1 < shown
               && (unsigned char) key[i + 1] >= 0x80
               && (unsigned char) key[i + 1] <= 0x9f)
        {
          /* U+0080..U+009F: C1 controls (e.g. CSI) */
          sb_hex (sb, c);
          sb_hex (sb, (unsigned char) key[++i]);
        }
      else
        {
          if (quote && (c == '"' || c == '\\'))
            sb_putc (sb, '\\');
          sb_putc (sb, (char) c);
        }
    }
  if (shown < len)
    sb_puts (sb, "...");
  if (quote)
    sb_putc (sb, '"');
}

/* Render into out the path of the current position: the positions in the
   first `shown` open containers (depth for the value being parsed, depth-1
   for the innermost container itself).  */
static void
render_path (const struct ctx *c, size_t shown, char *out, size_t size)
{
  struct sbuf sb = { out, size, 0 };
  out[0] = '\0';
  for (size_t i = 0; i < shown && i < c->depth; i++)
    {
      const struct frame *f = &c->frames[i];
      char part[KEY_BUF];
      struct sbuf p = { part, sizeof part, 0 };
      part[0] = '\0';
      if (f->node->type == yajl_t_array)
        {
          char num[32];
          snprintf (num, sizeof num, "[%zu]", f->index);
          sb_puts (&p, num);
        }
      else
        {
          const char *key = f->key ? f->key : "";
          if (sb.len > 0)
            sb_putc (&p, '.');
          sb_key (&p, key, strlen (key), true);
        }
      /* keep room for "..." */
      if (sb.len + p.len + 4 > size)
        {
          sb_puts (&sb, "...");
          break;
        }
      sb_puts (&sb, part);
    }
  if (sb.len == 0)
    sb_puts (&sb, "(top level)");
}

static int
fail_oom (struct ctx *c)
{
  c->failed = true;
  moat_error_set (c->err, ENOMEM, "out of memory parsing JSON");
  return 0;
}

/* ---- building the tree ---- */

static yajl_val
new_node (yajl_type type)
{
  yajl_val v = calloc (1, sizeof *v);
  if (v != NULL)
    v->type = type;
  return v;
}

/* A NUL-terminated copy of s (len bytes); NULL when out of memory.  */
static char *
copy_text (const unsigned char *s, size_t len)
{
  if (len == SIZE_MAX)
    return NULL;
  char *r = malloc (len + 1);
  if (r == NULL)
    return NULL;
  if (len > 0)
    memcpy (r, s, len);
  r[len] = '\0';
  return r;
}

/* The array arr (cap elements of elsize bytes) reallocated to hold at
   least need elements, *newcap set to its new capacity; arr itself when it
   is big enough; NULL when out of memory (arr is then untouched).  */
static void *
grow (void *arr, size_t elsize, size_t cap, size_t need, size_t *newcap)
{
  *newcap = cap;
  if (need <= cap)
    return arr;
  size_t n = cap < 4 ? 4 : cap;
  while (n < need)
    {
      if (n > SIZE_MAX / 2)
        return NULL;
      n *= 2;
    }
  if (n > SIZE_MAX / elsize)
    return NULL;
  void *q = realloc (arr, n * elsize);
  if (q != NULL)
    *newcap = n;
  return q;
}

/* Called first by every value callback: note the array index the value
   will take, for messages.  */
static void
begin_value (struct ctx *c)
{
  if (c->depth > 0)
    {
      struct frame *f = &c->frames[c->depth - 1];
      if (f->node->type == yajl_t_array)
        f->index = f->node->u.array.len;
    }
}

/* Link v into the innermost open container (under the pending key for an
   object) or make it the root.  Returns 1, or 0 with *err set and v freed.  */
static int
link_value (struct ctx *c, yajl_val v)
{
  if (c->depth == 0)
    {
      if (c->root != NULL)
        {
          /* yajl_allow_multiple_values is off: cannot happen */
          yajl_tree_free (v);
          c->failed = true;
          moat_error_set (c->err, 0, "invalid JSON: more than one top-level value");
          return 0;
        }
      c->root = v;
      return 1;
    }
  struct frame *f = &c->frames[c->depth - 1];
  yajl_val p = f->node;
  if (p->type == yajl_t_array)
    {
      size_t len = p->u.array.len, cap;
      yajl_val *values = grow (p->u.array.values, sizeof *values, f->cap, len + 1, &cap);
      if (values == NULL)
        {
          yajl_tree_free (v);
          return fail_oom (c);
        }
      p->u.array.values = values;
      f->cap = cap;
      values[len] = v;
      p->u.array.len = len + 1;
      return 1;
    }

  if (c->pending_key == NULL)
    {
      /* yajl always reports a key before a member's value */
      yajl_tree_free (v);
      c->failed = true;
      moat_error_set (c->err, 0, "invalid JSON: object member without a key");
      return 0;
    }
  size_t len = p->u.object.len, cap;
  /* both arrays grow to the same capacity; if the second realloc fails the
     first is merely larger than needed, and grows again next time */
  const char **keys = grow (p->u.object.keys, sizeof *keys, f->cap, len + 1, &cap);
  if (keys != NULL)
    p->u.object.keys = keys;
  yajl_val *values = keys == NULL ? NULL
    : grow (p->u.object.values, sizeof *values, f->cap, len + 1, &cap);
  if (values == NULL)
    {
      yajl_tree_free (v);
      return fail_oom (c);
    }
  p->u.object.values = values;
  f->cap = cap;
  keys[len] = c->pending_key;
  values[len] = v;
  p->u.object.len = len + 1;
  c->pending_key = NULL;
  return 1;
}

/* Integer value of a number's text, the way yajl_tree (yajl_parse_integer)
   computes it: the value with *valid when it fits in a long long, else
   LLONG_MAX (LLONG_MIN with a leading '-') with !*valid.  Any character
   other than a digit (fraction, exponent) also gives LLONG_MAX/LLONG_MIN;
   so does -9223372036854775808, as yajl accumulates the magnitude in a
   positive long long.  */
static long long
number_integer (const char *s, bool *valid)
{
  bool negative = false;
  unsigned long long magnitude = 0;
  if (*s == '-')
    {
      negative = true;
      s++;
    }
  else if (*s == '+')
    s++;
  for (; *s; s++)
    {
      unsigned int digit = (unsigned char) *s - '0';
      if (digit > 9 || magnitude > ((unsigned long long) LLONG_MAX - digit) / 10)
        {
          *valid = false;
          return negative ? LLONG_MIN : LLONG_MAX;
        }
      magnitude = magnitude * 10 + digit;
    }
  *valid = true;
  return negative ? -(long long) magnitude : (long long) magnitude;
}

/* ---- yajl callbacks: return 1 to go on, 0 to stop (with *err set) ---- */

static int
add_simple (struct ctx *c, yajl_type type)
{
  begin_value (c);
  yajl_val v = new_node (type);
  if (v == NULL)
    return fail_oom (c);
  return link_value (c, v);
}

static int
on_null (void *ctx)
{
  return add_simple (ctx, yajl_t_null);
}

static int
on_boolean (void *ctx, int value)
{
  return add_simple (ctx, value ? yajl_t_true : yajl_t_false);
}

static int
on_number (void *ctx, const char *text, size_t len)
{
  struct ctx *c = ctx;
  begin_value (c);
  yajl_val v = new_node (yajl_t_number);
  if (v == NULL)
    return fail_oom (c);
  v->u.number.r = copy_text ((const unsigned char *) text, len);
  if (v->u.number.r == NULL)
    {
      free (v);
      return fail_oom (c);
    }
  bool int_valid;
  v->u.number.i = number_integer (v->u.number.r, &int_valid);
  if (int_valid)
    v->u.number.flags |= YAJL_NUMBER_INT_VALID;
  int saved_errno = errno;
  char *end = NULL;
  errno = 0;
  v->u.number.d = strtod (v->u.number.r, &end);
  if (errno == 0 && end != NULL && *end == '\0')
    v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
  errno = saved_errno;
  return link_value (c, v);
}

static int
on_string (void *ctx, const unsigned char *s, size_t len)
{
  struct ctx *c = ctx;
  begin_value (c);
  if (len > 0 && memchr (s, '\0', len) != NULL)
    {
      char path[PATH_BUF];
      render_path (c, c->depth, path, sizeof path);
      c->failed = true;
      moat_error_set (c->err, 0, "%s: string contains a NUL character (\\u0000)", path);
      return 0;
    }
  yajl_val v = new_node (yajl_t_string);
  if (v == NULL)
    return fail_oom (c);
  v->u.string = copy_text (s, len);
  if (v->u.string == NULL)
    {
      free (v);
      return fail_oom (c);
    }
  return link_value (c, v);
}

static int
on_map_key (void *ctx, const unsigned char *s, size_t len)
{
  struct ctx *c = ctx;
  struct frame *f = &c->frames[c->depth - 1];
  if (len > 0 && memchr (s, '\0', len) != NULL)
    {
      char path[PATH_BUF];
      char key[KEY_BUF];
      struct sbuf kb = { key, sizeof key, 0 };
      key[0] = '\0';
      sb_key (&kb, (const char *) s, len, false);
      render_path (c, c->depth - 1, path, sizeof path);
      c->failed = true;
      moat_error_set (c->err, 0, "%s: key %s contains a NUL character (\\u0000)",
                      path, key);
      return 0;
    }
  /* duplicates are looked for when the object closes (see on_end_map) */
  free (c->pending_key);
  c->pending_key = copy_text (s, len);
  f->key = c->pending_key;
  if (c->pending_key == NULL)
    return fail_oom (c);
  return 1;
}

static int
open_container (struct ctx *c, yajl_type type)
{
  begin_value (c);
  if (c->depth >= MOAT_JSON_MAX_DEPTH)
    {
      char path[PATH_BUF];
      render_path (c, c->depth, path, sizeof path);
      c->failed = true;
      moat_error_set (c->err, 0, "%s: nesting deeper than %d levels", path,
                      MOAT_JSON_MAX_DEPTH);
      return 0;
    }
  struct frame *frames = grow (c->frames, sizeof *frames, c->frames_cap,
                               c->depth + 1, &c->frames_cap);
  if (frames == NULL)
    return fail_oom (c);
  c->frames = frames;
  yajl_val v = new_node (type);
  if (v == NULL)
    return fail_oom (c);
  if (!link_value (c, v))
    return 0;
  c->frames[c->depth++] = (struct frame) { .node = v };
  return 1;
}

static int
on_start_map (void *ctx)
{
  return open_container (ctx, yajl_t_object);
}

static int
on_start_array (void *ctx)
{
  return open_container (ctx, yajl_t_array);
}

struct keyref
{
  const char *key;
  size_t index;
};

static int
compare_keyref (const void *a, const void *b)
{
  const struct keyref *x = a, *y = b;
  int r = strcmp (x->key, y->key);
  if (r != 0)
    return r;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* The first member of obj, in document order, whose key an earlier member
   already has: its index in *dup, or obj's len when there is none.
   Sorting keeps large hostile objects O(n log n).  -1 when out of memory.  */
static int
first_duplicate (yajl_val obj, size_t *dup)
{
  size_t n = obj->u.object.len;
  const char **keys = obj->u.object.keys;
  *dup = n;
  if (n <= SMALL_OBJECT)
    {
      for (size_t j = 1; j < n; j++)
        for (size_t i = 0; i < j; i++)
          if (strcmp (keys[i], keys[j]) == 0)
            {
              *dup = j;
              return 0;
            }
      return 0;
    }
  if (n > SIZE_MAX / sizeof (struct keyref))
    return -1;
  struct keyref *refs = malloc (n * sizeof *refs);
  if (refs == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    refs[i] = (struct keyref) { keys[i], i };
  qsort (refs, n, sizeof *refs, compare_keyref);
  /* equal keys sort together by position: every one after the first of
     its run is a duplicate */
  for (size_t p = 1; p < n; p++)
    if (refs[p].index < *dup && strcmp (refs[p - 1].key, refs[p].key) == 0)
      *dup = refs[p].index;
  free (refs);
  return 0;
}

static int
on_end_map (void *ctx)
{
  struct ctx *c = ctx;
  yajl_val obj = c->frames[c->depth - 1].node;
  size_t dup;
  if (first_duplicate (obj, &dup) < 0)
    return fail_oom (c);
  if (dup < obj->u.object.len)
    {
      char path[PATH_BUF];
      char key[KEY_BUF];
      struct sbuf kb = { key, sizeof key, 0 };
      const char *k = obj->u.object.keys[dup];
      key[0] = '\0';
      sb_key (&kb, k, strlen (k), false);
      render_path (c, c->depth - 1, path, sizeof path);
      c->failed = true;
      moat_error_set (c->err, 0, "%s: duplicate key %s", path, key);
      return 0;
    }
  c->depth--;
  return 1;
}

static int
on_end_array (void *ctx)
{
  struct ctx *c = ctx;
  c->depth--;
  return 1;
}

/* ---- entry point ---- */

yajl_val
moat_json_parse (const char *text, size_t len, moat_error **err)
{
  static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    /* with yajl_number set, yajl_integer and yajl_double are never used
       and numbers of any size reach us as text, as in yajl_tree */
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end_map,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_array,
  };

  if (text == NULL)
    {
      if (len > 0)
        {
          moat_error_set (err, EINVAL, "moat_json_parse: no text");
          return NULL;
        }
      text = "";
    }
  /* yajl_tree_parse stops at the first NUL (it takes strlen); refuse
     rather than parse a prefix of the document */
  const char *nul = len > 0 ? memchr (text, '\0', len) : NULL;
  if (nul != NULL)
    {
      moat_error_set (err, 0, "invalid JSON: NUL byte at offset %zu",
                      (size_t) (nul - text));
      return NULL;
    }

  struct ctx c = { .err = err };
  yajl_handle h = yajl_alloc (&callbacks, NULL, &c);
  if (h == NULL)
    {
      fail_oom (&c);
      return NULL;
    }
  /* as yajl_tree_parse: comments allowed; UTF-8 validated, no trailing
     garbage, no multiple or partial values (yajl's defaults) */
  yajl_config (h, yajl_allow_comments, 1);

  yajl_status st = yajl_parse (h, (const unsigned char *) text, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  if (st != yajl_status_ok && !c.failed)
    {
      unsigned char *msg = yajl_get_error (h, 0, (const unsigned char *) text, len);
      if (msg != NULL)
        {
          /* only the first line: later ones quote the input */
          char *nl = strchr ((char *) msg, '\n');
          if (nl != NULL)
            *nl = '\0';
        }
      moat_error_set (err, 0, "invalid JSON: %s",
                      msg != NULL && msg[0] != '\0' ? (const char *) msg : "parse error");
      if (msg != NULL)
        yajl_free_error (h, msg);
    }
  yajl_free (h);

  if (st == yajl_status_ok && (c.root == NULL || c.depth != 0))
    {
      /* yajl reports premature EOF first; keep the tree whole regardless */
      moat_error_set (err, 0, "invalid JSON: parse error: premature EOF");
      st = yajl_status_error;
    }
  free (c.frames);
  free (c.pending_key);
  if (st != yajl_status_ok)
    {
      yajl_tree_free (c.root);
      return NULL;
    }
  return c.root;
}

char *
moat_json_gen_take (yajl_gen g, const char *suffix)
{
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf (g, &buf, &len);
  char *r = xasprintf ("%.*s%s", (int) len, (const char *) buf, suffix);
  yajl_gen_free (g);
  return r;
}

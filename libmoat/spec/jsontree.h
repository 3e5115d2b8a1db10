/* A strict replacement for yajl_tree_parse.  It builds the same yajl_val
   tree (free it with yajl_tree_free) but refuses the inputs that let two
   readers of one document see different configs: strings or keys holding
   \u0000 (the tree keeps C strings, which would cut them short), duplicate
   keys (moat takes the first, other tools the last), NUL bytes in the text
   (yajl_tree_parse stops at the first one) and absurd nesting.  Every
   error names the place as a path from the top of the document.  */
#ifndef MOAT_SPEC_JSONTREE_H
#define MOAT_SPEC_JSONTREE_H

#include <stddef.h>
#include <yajl/yajl_tree.h>
#include "../error.h"

/* Objects and arrays may nest this deep; one more level is an error.  */
#define MOAT_JSON_MAX_DEPTH 256

/* Parse JSON text of len bytes into a yajl_val tree (the same structure
   yajl_tree_parse builds, freed with yajl_tree_free), refusing: invalid
   JSON (yajl's message, first line only), a NUL byte in the text, a
   string or key that contains \u0000, a duplicate key in an object,
   nesting deeper than 256 levels.  The error names the place as a path
   from the top ("process.env[3]", "linux.sysctl.\"kernel.x\"", "(top level)"),
   e.g. `process.args[1]: string contains a NUL character (\u0000)` and
   `linux: duplicate key "namespaces"`.  On error returns NULL and sets *err.

   Like yajl_tree_parse, comments are allowed, strings must be valid UTF-8,
   a scalar is accepted as the top-level value and trailing text other than
   white space and comments is an error.  text need not be NUL-terminated.
   Messages:
     invalid JSON: <yajl's first line>      e.g. "parse error: premature EOF"
     invalid JSON: NUL byte at offset <n>
     <path>: string contains a NUL character (\u0000)
     <path>: key "<key>" contains a NUL character (\u0000)
     <path>: duplicate key "<key>"
     <path>: nesting deeper than 256 levels
     out of memory parsing JSON: Cannot allocate memory   (errnum ENOMEM)
   Keys in messages are cut after 64 bytes ("..."), control characters in
   them are shown as \xNN, and a path is cut (with "...") past about 500
   characters, so a message never carries raw control characters from the
   input and stays short.  */
yajl_val moat_json_parse (const char *text, size_t len, moat_error **err);

#include <string.h>
#include <yajl/yajl_gen.h>

/* What the generator g made, as a string with suffix appended ("" or
   "\n"); g is freed.  */
char *moat_json_gen_take (yajl_gen g, const char *suffix);

/* A C string into the generator g, as a JSON string (a key or a value).  */
#define GS(g, s) yajl_gen_string (g, (const unsigned char *) (s), strlen (s))

#endif

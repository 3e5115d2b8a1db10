/* SHA-256 against the FIPS 180-4 examples and sha256sum's answers for
   the lengths around the padding's edges.  */
#include <config.h>
#include "tap.h"
#include "libmoat/sha256.h"
#include <stdlib.h>
#include <string.h>

static void
check (const char *data, size_t len, const char *want, const char *what)
{
  char got[65];
  moat_sha256_hex (data, len, got);
  ok (strcmp (got, want) == 0, "%s: %s", what, got);
}

int
main (void)
{
  check ("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty");
  check ("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "abc");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  check (two, strlen (two), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
         "448 bits (two blocks)");
  /* 55, 56 and 64 bytes: the length fits in the last block, just does
     not, and a whole block of data */
  static char a[1000000];
  memset (a, 'a', sizeof a);
  check (a, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318", "55 a");
  check (a, 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a", "56 a");
  check (a, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb", "64 a");
  check (a, sizeof a, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
         "a million a");
  return tap_done ();
}

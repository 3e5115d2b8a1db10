/* libFuzzer target: config.json and process.json parsing must never
   crash, leak or read out of bounds, whatever the input.
   Build and run: tests/fuzz/run.sh [SECONDS]  */
#include <config.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "libmoat/spec/spec.h"
#include "libmoat/state.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = malloc (size + 1);
  if (text == NULL)
    return 0;
  memcpy (text, data, size);
  text[size] = '\0';
  moat_error *err = NULL;
  moat_spec_free (moat_spec_parse (text, size, &err));
  moat_error_free (&err);
  moat_spec_free (moat_spec_parse_process (text, &err));
  moat_error_free (&err);
  struct moat_state st;
  if (moat_state_from_json (text, &st, &err) == 0)
    moat_state_clear (&st);
  moat_error_free (&err);
  free (text);
  return 0;
}

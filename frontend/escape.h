/* Writing untrusted bytes (paths, comms) so that no byte can break or
 * forge a record, in each output format. */
#ifndef OPENTRACE_FRONTEND_ESCAPE_H
#define OPENTRACE_FRONTEND_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* RFC 4180: always quoted, quotes doubled, every other byte as is; into
 * memory, since CSV records are built whole before one write. dst must
 * hold 2 * n + 2 bytes; returns the end of what was written. */
char *ot_csv_quote(char *dst, const char *s, size_t n);
/* A JSON string literal. Valid UTF-8 passes through; control characters
 * are escaped; each byte that is not part of valid UTF-8 becomes the lone
 * surrogate \udcXX (XX its value), the "surrogateescape" convention, so
 * the original bytes can be recovered. */
void ot_json_string(FILE *f, const char *s, size_t n);
/* For the text table: valid UTF-8 printables as is, backslash doubled,
 * everything else (C1 controls and bidirectional controls included) as
 * \n \t \r or \xXX. */
void ot_text_string(FILE *f, const char *s, size_t n);

/* For the text table: one word as a POSIX shell would read it back, so
 * that nothing a value holds can pass for a separator, another value or a
 * marker. Bare when every byte is one of A-Z a-z 0-9 @ % + = : , . / _ -
 * or valid UTF-8 that is safe on a terminal; otherwise in single quotes
 * ('it'\''s') when it holds nothing ot_text_string would escape; otherwise
 * in bash's $'...' with ot_text_string's escapes and \' for a quote.
 * quote: never bare (for messages, where the quotes set a value apart). */
void ot_text_word(FILE *f, const char *s, size_t n, bool quote);

/* For messages on a terminal: s as it is, but for each byte of a control
 * character other than the newline, of invalid UTF-8 or of a sequence
 * unsafe on a terminal (as above), which becomes \xXX. Not reversible:
 * the values in messages are quoted with ot_text_word first; this keeps
 * any other text a message carries (a child's stderr) from driving the
 * terminal. */
void ot_term_safe(FILE *f, const char *s, size_t n);

/* Length of the valid UTF-8 sequence at s (1 to 4), or 0 if s does not
 * start one. */
size_t ot_utf8_seq_len(const unsigned char *s, size_t n);

#endif

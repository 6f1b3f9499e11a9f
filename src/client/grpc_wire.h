/* grpc_wire.h - the gRPC-over-HTTP/2 wire pieces shared by the server and the
 * client transports: status codes, the 5-byte message framing and an
 * incremental message reader, grpc-timeout and grpc-message encodings, and a
 * small metadata (header list) container. No I/O and no HTTP/2 here. */
#ifndef SEAL_GRPC_WIRE_H
#define SEAL_GRPC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* gRPC status codes (the numbers are the wire values). */
enum gw_code {
    GW_OK = 0,
    GW_CANCELLED = 1,
    GW_UNKNOWN = 2,
    GW_INVALID_ARGUMENT = 3,
    GW_DEADLINE_EXCEEDED = 4,
    GW_NOT_FOUND = 5,
    GW_ALREADY_EXISTS = 6,
    GW_PERMISSION_DENIED = 7,
    GW_RESOURCE_EXHAUSTED = 8,
    GW_FAILED_PRECONDITION = 9,
    GW_ABORTED = 10,
    GW_OUT_OF_RANGE = 11,
    GW_UNIMPLEMENTED = 12,
    GW_INTERNAL = 13,
    GW_UNAVAILABLE = 14,
    GW_DATA_LOSS = 15,
    GW_UNAUTHENTICATED = 16,
};
#define GW_CODE_MAX 16

/* Upper-case name ("DEADLINE_EXCEEDED"), static; "UNKNOWN_CODE" if out of range. */
const char *gw_code_name(int code);
/* Maps a SealDB error (negative SEAL_E*) to the closest gRPC status; 0 -> GW_OK. */
int gw_code_from_err(int seal_rc);
/* Maps an HTTP status without grpc-status to a gRPC code (gRPC's HTTP table). */
int gw_code_from_http(int http_status);

/* The message prefix: 1 flag byte (0 = not compressed) + 4-byte length. */
#define GW_PREFIX_LEN 5
void gw_put_prefix(uint8_t out[GW_PREFIX_LEN], int compressed, uint32_t len);

/* One received message (payload without the prefix). */
typedef struct gw_msg {
    struct gw_msg *next;
    size_t len;
    size_t cap;
    uint8_t *data; /* seal_malloc'd, len bytes */
} gw_msg;
void gw_msg_free(gw_msg *m);

/* Incremental reader of length-prefixed messages. Storage for a message
 * grows as its bytes arrive (a declared length alone allocates little). */
typedef struct gw_reader {
    size_t max_len; /* largest accepted payload */
    uint8_t hdr[GW_PREFIX_LEN];
    size_t hdr_have;
    gw_msg *cur;       /* message being assembled, or NULL */
    uint32_t declared; /* payload length of the message being assembled */
    uint8_t flag;      /* flag byte of the offending message, for errors */
    uint32_t bad_len;  /* declared length of a refused message */
} gw_reader;
void gw_reader_init(gw_reader *r, size_t max_len);
void gw_reader_reset(gw_reader *r);
/* Consumes bytes from p[0..n). Returns 1 when a message is complete (*out,
 * owned by the caller; *used tells how many input bytes were taken, the rest
 * must be fed again), 0 when all input was taken without completing a message,
 * SEAL_ELIMIT when a message declares more than max_len (r->bad_len),
 * SEAL_EUNSUPPORTED when the compressed flag is 1, SEAL_EPROTOCOL for any
 * other flag value, SEAL_ENOMEM. */
int gw_reader_feed(gw_reader *r, const uint8_t *p, size_t n, size_t *used, gw_msg **out);
/* True when a message has started but not finished (truncation at EOF). */
bool gw_reader_partial(const gw_reader *r);

/* grpc-timeout: "<digits up to 8><H|M|S|m|u|n>". Writes milliseconds, rounded
 * up (a positive timeout never becomes 0). Returns 0 or SEAL_EINVAL. */
int gw_timeout_parse(const char *s, size_t n, int64_t *ms_out);
/* Formats |ms| (>= 0) into out (at least 16 bytes). */
void gw_timeout_format(char *out, size_t cap, int64_t ms);

/* grpc-message percent-encoding: bytes outside 0x20-0x7e and '%' become %XX.
 * Both return a NUL-terminated seal_malloc'd string or NULL on OOM.
 * Decoding leaves malformed escapes as they are. */
char *gw_pct_encode(const char *s, size_t n);
char *gw_pct_decode(const char *s, size_t n);

/* Monotonic clock in milliseconds. */
int64_t gw_now_ms(void);

/* Metadata: an ordered list of (lower-case name, value) pairs. Values may hold
 * any bytes (value_len); they are also NUL-terminated. */
typedef struct gw_kv {
    char *name;
    char *value;
    size_t value_len;
} gw_kv;
typedef struct gw_md {
    gw_kv *kv;
    size_t n;
    size_t cap;
} gw_md;
/* Appends a copy (name lower-cased). Returns 0 or SEAL_ENOMEM. */
int gw_md_add(gw_md *md, const char *name, size_t name_len, const char *value, size_t value_len);
int gw_md_adds(gw_md *md, const char *name, const char *value);
/* First value for |name| (lower-case), or NULL. Owned by |md|. */
const char *gw_md_get(const gw_md *md, const char *name);
void gw_md_free(gw_md *md);

/* Is |ct| a gRPC content type ("application/grpc", "application/grpc+x",
 * "application/grpc;...")? *subtype receives the part after '+' ("" when
 * none), bounded by cap. */
bool gw_content_type_ok(const char *ct, char *subtype, size_t cap);

#endif

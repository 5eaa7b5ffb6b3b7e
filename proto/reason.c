/* Names of the drop reasons, as counters and logs show them. */
#include "proto/reason.h"

static const char *const names[PROTO_REASON_COUNT] = {
	[PROTO_OK] = "ok",
	[PROTO_BAD_LENGTH] = "bad_length",
	[PROTO_BAD_TYPE] = "bad_type",
	[PROTO_BAD_VERSION] = "bad_version",
	[PROTO_BAD_RESERVED] = "bad_reserved",
	[PROTO_BAD_MAC1] = "bad_mac1",
	[PROTO_NEED_COOKIE] = "need_cookie",
	[PROTO_DECRYPT] = "decrypt",
	[PROTO_LOW_ORDER] = "low_order",
	[PROTO_TLV_TRUNCATED] = "tlv_truncated",
	[PROTO_TLV_DUPLICATE] = "tlv_duplicate",
	[PROTO_TLV_LENGTH] = "tlv_length",
	[PROTO_TLV_MISSING] = "tlv_missing",
	[PROTO_TLV_VALUE] = "tlv_value",
	[PROTO_TLV_TOO_BIG] = "tlv_too_big",
	[PROTO_BAD_NAME] = "bad_name",
	[PROTO_BAD_TOKEN] = "bad_token",
	[PROTO_BAD_AGENT] = "bad_agent",
	[PROTO_STALE_TIMESTAMP] = "stale_timestamp",
	[PROTO_BAD_COOKIE] = "bad_cookie",
	[PROTO_UNKNOWN_INDEX] = "unknown_index",
	[PROTO_REPLAY] = "replay",
	[PROTO_TOO_OLD] = "too_old",
	[PROTO_COUNTER_LIMIT] = "counter_limit",
	[PROTO_SESSION_EXPIRED] = "session_expired",
	[PROTO_TOO_BIG] = "too_big",
	[PROTO_INNER_VERSION] = "inner_version",
	[PROTO_INNER_LENGTH] = "inner_length",
	[PROTO_INNER_SOURCE] = "inner_source",
	[PROTO_INNER_NO_IPV6] = "inner_no_ipv6",
};

const char *proto_reason_str(enum proto_reason reason)
{
	if ((unsigned)reason >= PROTO_REASON_COUNT || !names[reason])
		return "unknown";
	return names[reason];
}

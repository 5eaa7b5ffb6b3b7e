/* Error pages. Each is a fixed text plus, for a device that is offline or
 * unreachable, that device's name (escaped) and when it went offline: the
 * only device it names is the one the client asked for. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "concentrator/proxy/errpage.h"
#include "concentrator/proxy/host.h"

static const struct {
	int status;
	const char *reason; /* RFC 9110 15 reason phrases */
	const char *text;
} pages[ERRPAGE_COUNT] = {
	[ERRPAGE_BAD_REQUEST] = {400, "Bad Request", "The request could not be understood."},
	[ERRPAGE_NOT_FOUND] = {404, "Not Found", "There is no device at this address."},
	[ERRPAGE_HEAD_TOO_LARGE] = {431, "Request Header Fields Too Large",
				    "The request header is too large."},
	[ERRPAGE_OFFLINE] = {502, "Bad Gateway", NULL},
	[ERRPAGE_UNREACHABLE] = {502, "Bad Gateway", NULL},
	[ERRPAGE_TIMEOUT] = {504, "Gateway Timeout", "The device did not answer in time."},
	[ERRPAGE_BAD_VERSION] = {505, "HTTP Version Not Supported",
				 "Only HTTP/1.0 and HTTP/1.1 are supported."},
};

int errpage_status(enum errpage page)
{
	if ((unsigned)page >= ERRPAGE_COUNT)
		return 500;
	return pages[page].status;
}

/* The name is a device name already, but escape it anyway: the page must
 * stay inert whatever reaches it. */
static int escape(char *out, size_t cap, const char *s)
{
	size_t len = 0;

	for (; *s; s++) {
		const char *e;
		char one[2] = {*s, '\0'};
		size_t n;

		switch (*s) {
		case '&':
			e = "&amp;";
			break;
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '"':
			e = "&quot;";
			break;
		case '\'':
			e = "&#39;";
			break;
		default:
			e = one;
			break;
		}
		n = strlen(e);
		if (n >= cap - len)
			return -ENOSPC;
		memcpy(out + len, e, n);
		len += n;
	}
	out[len] = '\0';
	return 0;
}

/* "2024-05-01 12:00:00 UTC"; empty when unknown */
static void format_since(char *out, size_t cap, int64_t since)
{
	time_t t = (time_t)since;
	struct tm tm;

	out[0] = '\0';
	if (since <= 0 || !gmtime_r(&t, &tm))
		return;
	if (!strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm))
		out[0] = '\0';
}

int errpage_write(char *out, size_t cap, enum errpage page, const char *name, int64_t since)
{
	char esc[HOST_DEVICE_NAME_MAX * 6 + 1], when[64], text[512], body[1024];
	int tlen, blen, len;

	if ((unsigned)page >= ERRPAGE_COUNT)
		return -EINVAL;
	if (page == ERRPAGE_OFFLINE || page == ERRPAGE_UNREACHABLE) {
		if (!name || !*name || strlen(name) > HOST_DEVICE_NAME_MAX)
			return -EINVAL;
		if (escape(esc, sizeof(esc), name))
			return -EINVAL;
	}

	switch (page) {
	case ERRPAGE_OFFLINE:
		format_since(when, sizeof(when), since);
		if (when[0])
			tlen = snprintf(text, sizeof(text), "%s is offline since %s.", esc, when);
		else
			tlen = snprintf(text, sizeof(text), "%s is offline.", esc);
		break;
	case ERRPAGE_UNREACHABLE:
		tlen = snprintf(text, sizeof(text), "%s is online but could not be reached.", esc);
		break;
	default:
		tlen = snprintf(text, sizeof(text), "%s", pages[page].text);
		break;
	}
	if (tlen < 0 || (size_t)tlen >= sizeof(text))
		return -EINVAL;

	blen = snprintf(body, sizeof(body),
			"<!DOCTYPE html>\n"
			"<html><head><meta charset=\"utf-8\"><title>%d %s</title></head>\n"
			"<body><h1>%d %s</h1>\n<p>%s</p></body></html>\n",
			pages[page].status, pages[page].reason, pages[page].status,
			pages[page].reason, text);
	if (blen < 0 || (size_t)blen >= sizeof(body))
		return -EINVAL;

	len = snprintf(out, cap,
		       "HTTP/1.1 %d %s\r\n"
		       "Content-Type: text/html; charset=utf-8\r\n"
		       "Content-Length: %d\r\n"
		       "Cache-Control: no-store\r\n"
		       "Connection: close\r\n"
		       "\r\n"
		       "%s",
		       pages[page].status, pages[page].reason, blen, body);
	if (len < 0 || (size_t)len >= cap)
		return -ENOSPC;
	return len;
}

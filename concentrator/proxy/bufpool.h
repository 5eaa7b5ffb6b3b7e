/* Relay buffers and splice pipes, recycled through bounded free lists so a
 * busy proxy does not allocate per request, while a connection that waits
 * between requests holds neither. */
#ifndef TETHER_PROXY_BUFPOOL_H
#define TETHER_PROXY_BUFPOOL_H

#include <stddef.h>
#include <stdint.h>

enum {
	/* room for the largest request or response head (HTTP_HEAD_DEFAULT,
	 * 16 KiB) with bytes to spare, and for a whole ClientHello
	 * (SNI_BYTES_MAX); one TLS record */
	BUF_DATA = 20 * 1024 - 16,
};

/* Bytes [start, fwd) are ready to go out, [fwd, end) are read but not yet
 * looked at (the parser's or the framing's), [end, BUF_DATA) is free. */
struct buf {
	uint32_t start, fwd, end;
	uint32_t unused;
	char data[BUF_DATA];
};

/* A pipe for splice(2), non-blocking both ends, with len bytes inside. */
struct bufpool_pipe {
	int rd, wr;
	uint32_t len;
	struct bufpool_pipe *next; /* free list */
};

struct bufpool {
	struct buf *bufs;	    /* free list, linked through data */
	struct bufpool_pipe *pipes; /* free list */
	size_t nbufs, npipes;	    /* on the free lists */
	size_t max_bufs, max_pipes;
	size_t bufs_out, pipes_out; /* handed out */
};

void bufpool_init(struct bufpool *p, size_t max_bufs, size_t max_pipes);
void bufpool_free(struct bufpool *p);

/* An empty buffer, or NULL with errno set. */
struct buf *bufpool_buf_get(struct bufpool *p);
void bufpool_buf_put(struct bufpool *p, struct buf *b);

/* An empty pipe, or NULL with errno set (EMFILE when out of fds). */
struct bufpool_pipe *bufpool_pipe_get(struct bufpool *p);
/* Back to the pool if empty, else closed (its bytes are lost). */
void bufpool_pipe_put(struct bufpool *p, struct bufpool_pipe *pipe);

#endif

/* Free lists of buffers and pipes, bounded so a burst does not pin its peak
 * memory or fds for ever. */
#include "concentrator/proxy/bufpool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void bufpool_init(struct bufpool *p, size_t max_bufs, size_t max_pipes)
{
	memset(p, 0, sizeof(*p));
	p->max_bufs = max_bufs;
	p->max_pipes = max_pipes;
}

static void pipe_close(struct bufpool_pipe *pp)
{
	close(pp->rd);
	close(pp->wr);
	free(pp);
}

void bufpool_free(struct bufpool *p)
{
	while (p->bufs) {
		struct buf *b = p->bufs;

		memcpy(&p->bufs, b->data, sizeof(p->bufs));
		free(b);
	}
	while (p->pipes) {
		struct bufpool_pipe *pp = p->pipes;

		p->pipes = pp->next;
		pipe_close(pp);
	}
	p->nbufs = 0;
	p->npipes = 0;
}

struct buf *bufpool_buf_get(struct bufpool *p)
{
	struct buf *b = p->bufs;

	if (b) {
		memcpy(&p->bufs, b->data, sizeof(p->bufs));
		p->nbufs--;
	} else {
		b = malloc(sizeof(*b));
		if (!b)
			return NULL;
	}
	b->start = 0;
	b->fwd = 0;
	b->end = 0;
	p->bufs_out++;
	return b;
}

void bufpool_buf_put(struct bufpool *p, struct buf *b)
{
	p->bufs_out--;
	if (p->nbufs >= p->max_bufs) {
		free(b);
		return;
	}
	memcpy(b->data, &p->bufs, sizeof(p->bufs));
	p->bufs = b;
	p->nbufs++;
}

struct bufpool_pipe *bufpool_pipe_get(struct bufpool *p)
{
	struct bufpool_pipe *pp = p->pipes;
	int fds[2];

	if (pp) {
		p->pipes = pp->next;
		p->npipes--;
	} else {
		pp = malloc(sizeof(*pp));
		if (!pp)
			return NULL;
		if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) {
			int e = errno;

			free(pp);
			errno = e;
			return NULL;
		}
		pp->rd = fds[0];
		pp->wr = fds[1];
	}
	pp->len = 0;
	pp->next = NULL;
	p->pipes_out++;
	return pp;
}

void bufpool_pipe_put(struct bufpool *p, struct bufpool_pipe *pp)
{
	p->pipes_out--;
	if (pp->len || p->npipes >= p->max_pipes) {
		pipe_close(pp);
		return;
	}
	pp->next = p->pipes;
	p->pipes = pp;
	p->npipes++;
}

/* The embedded registry store: SQLite in WAL mode at <state_dir>/registry.db
 * with synchronous=FULL, so a commit that returned survives kill -9 and power
 * loss. It stores rows and runs transactions; the rules live in registry.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "concentrator/tetherd/registry.h"

#define DB_FILE		"registry.db"
#define APPLICATION_ID	0x54746872 /* "Tthr": PRAGMA application_id of our files */
#define BUSY_TIMEOUT_MS 5000

/*
 * migrations[v] takes the schema from user_version v to v + 1, in the same
 * transaction as the version bump. Append new steps; never edit a released
 * one. A database newer than the last step is refused, never downgraded.
 */
static const char *const migrations[] = {
	/* 0 -> 1: devices. address4 is assigned once and never updated. */
	"CREATE TABLE devices ("
	"  name TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 63),"
	"  public_key BLOB UNIQUE CHECK (public_key IS NULL OR length(public_key) = 32),"
	"  state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'disabled')),"
	"  token_hash BLOB CHECK (token_hash IS NULL OR length(token_hash) = 32),"
	"  token_expires INTEGER,"
	"  address4 TEXT NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL,"
	"  last_handshake INTEGER,"
	"  last_endpoint TEXT,"
	"  CHECK (state <> 'active' OR public_key IS NOT NULL),"
	"  CHECK ((token_hash IS NULL) = (token_expires IS NULL))"
	");",
};

enum { SCHEMA_VERSION = sizeof(migrations) / sizeof(migrations[0]) };

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_BY_NAME,
	ST_BY_KEY,
	ST_INSERT,
	ST_UPDATE,
	ST_DELETE,
	ST_SEEN,
	ST_LIST,
	ST_COUNT,
};

/* Column order of every SELECT, and parameter numbers of INSERT and UPDATE. */
enum col {
	COL_NAME,
	COL_PUBLIC_KEY,
	COL_STATE,
	COL_TOKEN_HASH,
	COL_TOKEN_EXPIRES,
	COL_ADDRESS4,
	COL_CREATED,
	COL_LAST_HANDSHAKE,
	COL_LAST_ENDPOINT,
};

#define COLUMNS                                                                                    \
	"name, public_key, state, token_hash, token_expires, address4, created, last_handshake, "  \
	"last_endpoint"

static const char *const sql[ST_COUNT] = {
	/* IMMEDIATE: take the write lock at once, never upgrade a read lock */
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_BY_NAME] = "SELECT " COLUMNS " FROM devices WHERE name = ?1",
	[ST_BY_KEY] = "SELECT " COLUMNS " FROM devices WHERE public_key = ?1",
	[ST_INSERT] =
		"INSERT INTO devices (" COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_UPDATE] = "UPDATE devices SET public_key = ?2, state = ?3, token_hash = ?4, "
		      "token_expires = ?5, last_handshake = ?8, last_endpoint = ?9 WHERE name = ?1",
	[ST_DELETE] = "DELETE FROM devices WHERE name = ?1",
	[ST_SEEN] = "UPDATE devices SET last_handshake = ?2, last_endpoint = ?3 WHERE name = ?1",
	[ST_LIST] = "SELECT " COLUMNS " FROM devices ORDER BY name",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	char path[PATH_MAX]; /* for messages */
	int dirfd;	     /* the state directory: flock'd while open, fsync'd after creates */
};

static void say(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (!msg || msglen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

static int errno_of(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		return -EINVAL;
	}
	return -EIO;
}

/* Say what failed, with SQLite's own words, and turn rc into -errno. */
static int fail(struct store *s, int rc, const char *what, const char *name, char *msg,
		size_t msglen)
{
	const char *text = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	if (name)
		say(msg, msglen, "registry: device %s: %s: %s", name, what, text);
	else
		say(msg, msglen, "registry: %s: %s", what, text);
	return errno_of(rc);
}

/* Ready a statement for its next use and drop its borrowed bindings. A
 * failed step has already been reported (reset repeats its error). */
static int finish(struct store *s, sqlite3_stmt *st, int ret, const char *what, const char *name,
		  char *msg, size_t msglen)
{
	int rc = sqlite3_reset(st);
	int rc2 = sqlite3_clear_bindings(st);

	if (rc == SQLITE_OK)
		rc = rc2;
	if (rc != SQLITE_OK && ret == 0)
		ret = fail(s, rc, what, name, msg, msglen);
	return ret;
}

/* Run a statement that returns no rows; rc is how its binding went. */
static int run(struct store *s, sqlite3_stmt *st, int rc, const char *what, const char *name,
	       char *msg, size_t msglen)
{
	int ret = 0;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		ret = fail(s, rc, what, name, msg, msglen);
	return finish(s, st, ret, what, name, msg, msglen);
}

/* Run SQL that is not worth preparing (pragmas, migrations). */
static int exec(struct store *s, const char *text, const char *what, char *msg, size_t msglen)
{
	char *err = NULL;
	int rc = sqlite3_exec(s->db, text, NULL, NULL, &err);
	int ret = 0;

	if (rc != SQLITE_OK) {
		say(msg, msglen, "registry: %s: %s", what, err ? err : sqlite3_errstr(rc));
		ret = errno_of(rc);
	}
	sqlite3_free(err);
	return ret;
}

/* The first column of the first row of text, as a number and as text. */
static int query(struct store *s, const char *text, int64_t *num, char *buf, size_t buflen,
		 char *msg, size_t msglen)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *val;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(s->db, text, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = fail(s, rc, text, NULL, msg, msglen);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = -EIO;
		say(msg, msglen, "registry: %s: no answer", text);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		ret = fail(s, rc, text, NULL, msg, msglen);
		goto out;
	}
	if (num)
		*num = sqlite3_column_int64(st, 0);
	if (buf) {
		val = sqlite3_column_text(st, 0);
		snprintf(buf, buflen, "%s", val ? (const char *)val : "");
	}
out:
	/* the statement is done with: finalize only repeats an error said above */
	rc = sqlite3_finalize(st);
	if (rc != SQLITE_OK && ret == 0)
		ret = fail(s, rc, text, NULL, msg, msglen);
	return ret;
}

/* fsync a directory so that names created in it survive power loss. */
static int sync_dir(const char *dir, char *msg, size_t msglen)
{
	int fd, ret = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		say(msg, msglen, "registry: %s: %s", dir, strerror(-ret));
		goto out;
	}
	if (fsync(fd)) {
		ret = -errno;
		say(msg, msglen, "registry: fsync %s: %s", dir, strerror(-ret));
	}
	/* nothing was written through it: a failed close loses nothing */
	(void)close(fd);
out:
	return ret;
}

/* The state directory, 0700 when we create it; an existing one is used as
 * it is (systemd's StateDirectory= makes it with its own mode). */
static int make_dir(const char *dir, char *msg, size_t msglen)
{
	char parent[PATH_MAX];
	const char *slash;
	struct stat st;
	int ret = 0;

	if (mkdir(dir, 0700) == 0) {
		slash = strrchr(dir, '/');
		if (!slash)
			snprintf(parent, sizeof(parent), ".");
		else if (slash == dir)
			snprintf(parent, sizeof(parent), "/");
		else
			snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
		ret = sync_dir(parent, msg, msglen);
		goto out;
	}
	if (errno != EEXIST) {
		ret = -errno;
		say(msg, msglen, "registry: cannot create %s: %s", dir, strerror(-ret));
		goto out;
	}
	if (stat(dir, &st)) {
		ret = -errno;
		say(msg, msglen, "registry: %s: %s", dir, strerror(-ret));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		ret = -ENOTDIR;
		say(msg, msglen, "registry: %s is not a directory", dir);
	}
out:
	return ret;
}

/* Create the database file ourselves so it is 0600 from its first byte;
 * SQLite gives the -wal and -shm files the same mode. */
static int make_file(const char *path, char *msg, size_t msglen)
{
	struct stat st;
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ret = -errno;
		say(msg, msglen, "registry: %s: %s", path, strerror(-ret));
		goto out;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		say(msg, msglen, "registry: %s: %s", path, strerror(-ret));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		say(msg, msglen, "registry: %s is not a regular file", path);
		goto out;
	}
	/* restored by hand with a looser mode: the file holds token hashes */
	if ((st.st_mode & 077) && fchmod(fd, 0600)) {
		ret = -errno;
		say(msg, msglen, "registry: chmod 0600 %s: %s", path, strerror(-ret));
	}
out:
	/* only fstat/fchmod went through this fd, and SQLite has not opened the
	 * file yet, so closing it drops no SQLite lock */
	if (fd >= 0 && close(fd) && ret == 0) {
		ret = -errno;
		say(msg, msglen, "registry: close %s: %s", path, strerror(-ret));
	}
	return ret;
}

static int migrate(struct store *s, char *msg, size_t msglen)
{
	char text[128];
	int64_t version;
	bool began = false;
	int ret;

	ret = exec(s, "BEGIN IMMEDIATE", "begin schema update", msg, msglen);
	if (ret)
		goto out;
	began = true;
	/* read again under the write lock */
	ret = query(s, "PRAGMA user_version", &version, NULL, 0, msg, msglen);
	if (ret)
		goto out;
	if (version > SCHEMA_VERSION || version < 0) {
		ret = -ENOTSUP;
		say(msg, msglen, "%s: schema version %lld is newer than this tetherd knows (%d)",
		    s->path, (long long)version, SCHEMA_VERSION);
		goto out;
	}
	/* up to date: the empty transaction is rolled back below */
	if (version == SCHEMA_VERSION)
		goto out;
	for (; version < SCHEMA_VERSION; version++) {
		snprintf(text, sizeof(text), "schema update to version %lld",
			 (long long)version + 1);
		ret = exec(s, migrations[version], text, msg, msglen);
		if (ret)
			goto out;
	}
	snprintf(text, sizeof(text), "PRAGMA application_id = %d; PRAGMA user_version = %d",
		 APPLICATION_ID, SCHEMA_VERSION);
	ret = exec(s, text, "set schema version", msg, msglen);
	if (ret)
		goto out;
	ret = exec(s, "COMMIT", "commit schema update", msg, msglen);
	if (ret)
		goto out;
	began = false;
out:
	/* nothing more to do if even ROLLBACK fails: the open fails anyway */
	if (began && !sqlite3_get_autocommit(s->db))
		(void)exec(s, "ROLLBACK", "roll back schema update", NULL, 0);
	return ret;
}

/* Settings for a store no acknowledged change may leave: WAL with FULL
 * sync (a commit is on disk when it returns), waiting out short locks. */
static int configure(struct store *s, char *msg, size_t msglen)
{
	char mode[16];
	int64_t version, appid, sync;
	int rc, ret;

	rc = sqlite3_extended_result_codes(s->db, 1);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* no SQL, even ours, may write the schema or the file format by hand */
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (rc != SQLITE_OK) {
		ret = fail(s, rc, "configure", NULL, msg, msglen);
		goto out;
	}

	/* Refuse foreign and newer files before anything here writes to them. */
	ret = query(s, "PRAGMA application_id", &appid, NULL, 0, msg, msglen);
	if (ret)
		goto out;
	ret = query(s, "PRAGMA user_version", &version, NULL, 0, msg, msglen);
	if (ret)
		goto out;
	if (appid != APPLICATION_ID && (appid != 0 || version != 0)) {
		ret = -EINVAL;
		say(msg, msglen, "%s: not a Tether registry (application_id %#llx)", s->path,
		    (unsigned long long)appid);
		goto out;
	}
	if (version > SCHEMA_VERSION) {
		ret = -ENOTSUP;
		say(msg, msglen, "%s: schema version %lld is newer than this tetherd knows (%d)",
		    s->path, (long long)version, SCHEMA_VERSION);
		goto out;
	}

	ret = query(s, "PRAGMA journal_mode = WAL", NULL, mode, sizeof(mode), msg, msglen);
	if (ret)
		goto out;
	if (strcmp(mode, "wal") != 0) {
		ret = -EIO;
		say(msg, msglen, "%s: cannot use WAL mode (journal_mode is %s)", s->path, mode);
		goto out;
	}
	ret = exec(s, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", "pragmas", msg,
		   msglen);
	if (ret)
		goto out;
	ret = query(s, "PRAGMA synchronous", &sync, NULL, 0, msg, msglen);
	if (ret)
		goto out;
	if (sync != 2) {
		ret = -EIO;
		say(msg, msglen, "%s: synchronous is %lld, not FULL", s->path, (long long)sync);
	}
out:
	return ret;
}

static void store_close(void *store)
{
	struct store *s = store;
	int i;

	if (!s)
		return;
	for (i = 0; i < ST_COUNT; i++) {
		/* finalize only repeats errors every caller already heard */
		(void)sqlite3_finalize(s->st[i]);
	}
	/* every statement is finalized, so close cannot be refused as busy;
	 * close_v2 is the belt to those braces */
	if (sqlite3_close(s->db) != SQLITE_OK)
		(void)sqlite3_close_v2(s->db);
	/* releases the flock; nothing was written through it */
	if (s->dirfd >= 0)
		(void)close(s->dirfd);
	free(s);
}

static int store_open(void **out, const char *state_dir, char *msg, size_t msglen)
{
	struct store *s;
	int rc, ret, i;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		ret = -ENOMEM;
		say(msg, msglen, "registry: out of memory");
		goto out;
	}
	s->dirfd = -1;
	if (snprintf(s->path, sizeof(s->path), "%s/%s", state_dir, DB_FILE) >=
	    (int)sizeof(s->path)) {
		ret = -ENAMETOOLONG;
		say(msg, msglen, "registry: %s: path too long", state_dir);
		goto out;
	}
	ret = make_dir(state_dir, msg, msglen);
	if (ret)
		goto out;
	s->dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		ret = -errno;
		say(msg, msglen, "registry: %s: %s", state_dir, strerror(-ret));
		goto out;
	}
	/* One process per state directory: the pool and tetherd's device table
	 * are kept in memory and would go stale under a second writer. */
	if (flock(s->dirfd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		say(msg, msglen, "registry: %s: %s", state_dir,
		    ret == -EBUSY ? "in use by another process" : strerror(-ret));
		goto out;
	}
	ret = make_file(s->path, msg, msglen);
	if (ret)
		goto out;

	rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		say(msg, msglen, "registry: %s: %s", s->path,
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		ret = errno_of(rc);
		goto out;
	}
	ret = configure(s, msg, msglen);
	if (ret)
		goto out;
	ret = migrate(s, msg, msglen);
	if (ret)
		goto out;
	/* The file may be new: make its name durable too. SQLite syncs the
	 * directory itself when it creates the WAL. */
	if (fsync(s->dirfd)) {
		ret = -errno;
		say(msg, msglen, "registry: fsync %s: %s", state_dir, strerror(-ret));
		goto out;
	}
	for (i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
					NULL);
		if (rc != SQLITE_OK) {
			ret = fail(s, rc, sql[i], NULL, msg, msglen);
			goto out;
		}
	}

	*out = s;
	s = NULL;
out:
	store_close(s);
	return ret;
}

static int store_begin(void *store, char *msg, size_t msglen)
{
	struct store *s = store;

	return run(s, s->st[ST_BEGIN], SQLITE_OK, "begin", NULL, msg, msglen);
}

static int store_commit(void *store, char *msg, size_t msglen)
{
	struct store *s = store;

	return run(s, s->st[ST_COMMIT], SQLITE_OK, "commit", NULL, msg, msglen);
}

static void store_rollback(void *store)
{
	struct store *s = store;

	/* a failed COMMIT may have rolled back already */
	if (sqlite3_get_autocommit(s->db))
		return;
	/* Nobody to tell if this fails: the next BEGIN will fail and say so. */
	(void)run(s, s->st[ST_ROLLBACK], SQLITE_OK, "rollback", NULL, NULL, 0);
}

/* Read a column that must be text (or NULL, when nullable) into buf. */
static int col_text(sqlite3_stmt *st, int col, char *buf, size_t size, bool nullable)
{
	const unsigned char *val;
	int type = sqlite3_column_type(st, col);

	buf[0] = '\0';
	if (type == SQLITE_NULL && nullable)
		return 0;
	if (type != SQLITE_TEXT)
		return -EINVAL;
	val = sqlite3_column_text(st, col);
	if (!val)
		return -ENOMEM;
	if ((size_t)sqlite3_column_bytes(st, col) >= size)
		return -EINVAL;
	memcpy(buf, val, (size_t)sqlite3_column_bytes(st, col) + 1);
	return 0;
}

/* Read a column that must be a blob of len bytes, or NULL. */
static int col_blob(sqlite3_stmt *st, int col, uint8_t *buf, size_t len, bool *present)
{
	const void *val;
	int type = sqlite3_column_type(st, col);

	*present = false;
	if (type == SQLITE_NULL)
		return 0;
	if (type != SQLITE_BLOB)
		return -EINVAL;
	val = sqlite3_column_blob(st, col);
	if (!val)
		return -ENOMEM;
	if ((size_t)sqlite3_column_bytes(st, col) != len)
		return -EINVAL;
	memcpy(buf, val, len);
	*present = true;
	return 0;
}

/* Read a column that must be an integer; NULL reads as 0. */
static int col_int(sqlite3_stmt *st, int col, int64_t *val)
{
	int type = sqlite3_column_type(st, col);

	*val = 0;
	if (type == SQLITE_NULL)
		return 0;
	if (type != SQLITE_INTEGER)
		return -EINVAL;
	*val = sqlite3_column_int64(st, col);
	return 0;
}

static int decode(sqlite3_stmt *st, struct registry_record *rec, char *msg, size_t msglen)
{
	struct registry_device *dev = &rec->dev;
	char text[INET_ADDRSTRLEN + 8];
	const char *bad = NULL;
	int ret;

	memset(rec, 0, sizeof(*rec));
	if ((ret = col_text(st, COL_NAME, dev->name, sizeof(dev->name), false)))
		bad = "name";
	else if ((ret = col_blob(st, COL_PUBLIC_KEY, dev->public_key, REGISTRY_KEY_LEN,
				 &dev->has_key)))
		bad = "public_key";
	else if ((ret = col_text(st, COL_STATE, text, sizeof(text), false)) ||
		 (ret = registry_state_parse(text, &dev->state)))
		bad = "state";
	else if ((ret = col_blob(st, COL_TOKEN_HASH, rec->token_hash, REGISTRY_HASH_LEN,
				 &rec->has_token)))
		bad = "token_hash";
	else if ((ret = col_int(st, COL_TOKEN_EXPIRES, &dev->token_expires)))
		bad = "token_expires";
	else if ((ret = col_text(st, COL_ADDRESS4, text, sizeof(text), false)) ||
		 (ret = inet_pton(AF_INET, text, &dev->address4) == 1 ? 0 : -EINVAL))
		bad = "address4";
	else if ((ret = col_int(st, COL_CREATED, &dev->created)))
		bad = "created";
	else if ((ret = col_int(st, COL_LAST_HANDSHAKE, &dev->last_handshake)))
		bad = "last_handshake";
	else if ((ret = col_text(st, COL_LAST_ENDPOINT, dev->last_endpoint,
				 sizeof(dev->last_endpoint), true)))
		bad = "last_endpoint";
	if (!bad)
		return 0;
	if (ret == -ENOMEM) {
		say(msg, msglen, "registry: out of memory reading column %s", bad);
		return ret;
	}
	say(msg, msglen, "registry: device %s: column %s holds an invalid value",
	    dev->name[0] ? dev->name : "?", bad);
	return -EIO;
}

/* Run a SELECT of one row; rc is how its binding went. */
static int get(struct store *s, sqlite3_stmt *st, int rc, const char *what, const char *name,
	       struct registry_record *rec, char *msg, size_t msglen)
{
	int ret = 0;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = decode(st, rec, msg, msglen);
	else if (rc == SQLITE_DONE)
		ret = -ENOENT;
	else
		ret = fail(s, rc, what, name, msg, msglen);
	return finish(s, st, ret, what, name, msg, msglen);
}

static int store_get_by_name(void *store, const char *name, struct registry_record *rec, char *msg,
			     size_t msglen)
{
	struct store *s = store;
	sqlite3_stmt *st = s->st[ST_BY_NAME];
	int rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);

	return get(s, st, rc, "lookup", name, rec, msg, msglen);
}

static int store_get_by_key(void *store, const uint8_t key[REGISTRY_KEY_LEN],
			    struct registry_record *rec, char *msg, size_t msglen)
{
	struct store *s = store;
	sqlite3_stmt *st = s->st[ST_BY_KEY];
	int rc = sqlite3_bind_blob(st, 1, key, REGISTRY_KEY_LEN, SQLITE_STATIC);

	return get(s, st, rc, "lookup by key", NULL, rec, msg, msglen);
}

static int bind_text(sqlite3_stmt *st, int idx, const char *text)
{
	if (!text || !text[0])
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, text, -1, SQLITE_STATIC);
}

static int bind_int(sqlite3_stmt *st, int idx, int64_t val)
{
	if (val == 0)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_int64(st, idx, val);
}

/* The parameters INSERT and UPDATE share (1-based: column + 1). */
static int bind_record(sqlite3_stmt *st, const struct registry_record *rec)
{
	const struct registry_device *dev = &rec->dev;
	int rc;

	rc = sqlite3_bind_text(st, COL_NAME + 1, dev->name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = dev->has_key ? sqlite3_bind_blob(st, COL_PUBLIC_KEY + 1, dev->public_key,
						      REGISTRY_KEY_LEN, SQLITE_STATIC)
				  : sqlite3_bind_null(st, COL_PUBLIC_KEY + 1);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, COL_STATE + 1, registry_state_str(dev->state), -1,
				       SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = rec->has_token ? sqlite3_bind_blob(st, COL_TOKEN_HASH + 1, rec->token_hash,
							REGISTRY_HASH_LEN, SQLITE_STATIC)
				    : sqlite3_bind_null(st, COL_TOKEN_HASH + 1);
	if (rc == SQLITE_OK)
		rc = rec->has_token
			     ? sqlite3_bind_int64(st, COL_TOKEN_EXPIRES + 1, dev->token_expires)
			     : sqlite3_bind_null(st, COL_TOKEN_EXPIRES + 1);
	if (rc == SQLITE_OK)
		rc = bind_int(st, COL_LAST_HANDSHAKE + 1, dev->last_handshake);
	if (rc == SQLITE_OK)
		rc = bind_text(st, COL_LAST_ENDPOINT + 1, dev->last_endpoint);
	return rc;
}

static int store_insert(void *store, const struct registry_record *rec, char *msg, size_t msglen)
{
	struct store *s = store;
	sqlite3_stmt *st = s->st[ST_INSERT];
	char addr[INET_ADDRSTRLEN];
	int rc;

	if (!inet_ntop(AF_INET, &rec->dev.address4, addr, sizeof(addr)))
		return -errno;
	rc = bind_record(st, rec);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, COL_ADDRESS4 + 1, addr, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, COL_CREATED + 1, rec->dev.created);
	return run(s, st, rc, "insert", rec->dev.name, msg, msglen);
}

/* The number of rows the last statement changed: 0 means no such device. */
static int changed(struct store *s, int ret)
{
	if (ret == 0 && sqlite3_changes(s->db) == 0)
		ret = -ENOENT;
	return ret;
}

static int store_update(void *store, const struct registry_record *rec, char *msg, size_t msglen)
{
	struct store *s = store;
	sqlite3_stmt *st = s->st[ST_UPDATE];

	return changed(s, run(s, st, bind_record(st, rec), "update", rec->dev.name, msg, msglen));
}

static int store_remove(void *store, const char *name, char *msg, size_t msglen)
{
	struct store *s = store;
	sqlite3_stmt *st = s->st[ST_DELETE];
	int rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);

	return changed(s, run(s, st, rc, "remove", name, msg, msglen));
}

static int store_set_seen(void *store, const char *name, int64_t last_handshake,
			  const char *endpoint, char *msg, size_t msglen)
{
	struct store *s = store;
	sqlite3_stmt *st = s->st[ST_SEEN];
	int rc;

	rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = bind_int(st, 2, last_handshake);
	if (rc == SQLITE_OK)
		rc = bind_text(st, 3, endpoint);
	return changed(s, run(s, st, rc, "record handshake", name, msg, msglen));
}

static int store_foreach(void *store, int (*fn)(const struct registry_record *rec, void *arg),
			 void *arg, char *msg, size_t msglen)
{
	struct store *s = store;
	sqlite3_stmt *st = s->st[ST_LIST];
	struct registry_record rec;
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = decode(st, &rec, msg, msglen);
		if (ret)
			break;
		ret = fn(&rec, arg);
		if (ret)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = fail(s, rc, "list", NULL, msg, msglen);
	sodium_memzero(&rec, sizeof(rec));
	return finish(s, st, ret, "list", NULL, msg, msglen);
}

const struct registry_backend registry_sqlite_backend = {
	.name = "sqlite",
	.open = store_open,
	.close = store_close,
	.begin = store_begin,
	.commit = store_commit,
	.rollback = store_rollback,
	.get_by_name = store_get_by_name,
	.get_by_key = store_get_by_key,
	.insert = store_insert,
	.update = store_update,
	.remove = store_remove,
	.set_seen = store_set_seen,
	.foreach = store_foreach,
};

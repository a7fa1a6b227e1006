// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: whole files, read and replaced atomically
 *
 * The configuration, the state file, BIRD's include file and the BPF
 * object are read and written through these two, which depend on nothing
 * else of xlb: the data path, the config code and the BGP glue each use
 * them without using each other.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "file.h"

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int xlb_file_read(const char *path, size_t max, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t n = 0, got;
	char *text;
	int ret = 0;

	*buf = NULL;
	*len = 0;
	if (!f)
		return -errno;
	text = max < SIZE_MAX - 1 ? malloc(max + 2) : NULL;
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	/* one byte more than allowed tells a file that is too big */
	while ((got = fread(text + n, 1, max + 1 - n, f)) > 0)
		n += got;
	if (ferror(f))
		ret = -EIO;
	else if (n > max)
		ret = -EFBIG;
	fclose(f);
	if (ret) {
		free(text);
		return ret;
	}
	text[n] = '\0';
	*buf = text;
	*len = n;
	return 0;
}

/**
 * xlb_file_replace() - see file.h
 *
 * The file ends up with @mode and, where we may, the owner and group of
 * the file it replaces. On failure the old file is untouched and no
 * temporary file is left behind.
 */
int xlb_file_replace(const char *path, const char *text, mode_t mode)
{
	char *dcopy = NULL, *bcopy = NULL, *tmp = NULL;
	int fd = -1, dfd = -1, err = 0;
	const char *dir, *base;
	struct stat st;

	if (!path || !*path || !text)
		return -EINVAL;
	dcopy = strdup(path);
	bcopy = strdup(path);
	if (!dcopy || !bcopy) {
		err = -ENOMEM;
		goto out;
	}
	dir = dirname(dcopy);
	base = basename(bcopy);
	/* Same directory, so rename() replaces the file in one step. */
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
		tmp = NULL;
		err = -ENOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		err = -errno;
		goto out;
	}
	/* Keep the owner and group of the file being replaced: an operator
	 * may have given the group read access. Only root can, so EPERM
	 * leaves the new file ours, which is what a non-root caller has. */
	if (!stat(path, &st) && fchown(fd, st.st_uid, st.st_gid) < 0 &&
	    errno != EPERM) {
		err = -errno;
		goto out;
	}
	err = write_all(fd, text, strlen(text));
	if (err)
		goto out;
	if (fsync(fd) < 0) {
		err = -errno;
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		err = -errno;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		err = -errno;
		goto out;
	}
	free(tmp);
	tmp = NULL;
	/* The rename is durable only once the directory is on disk. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		err = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(bcopy);
	free(dcopy);
	return err;
}

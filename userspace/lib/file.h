/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XLB_FILE_H
#define XLB_FILE_H

#include <stddef.h>
#include <sys/types.h>

/**
 * xlb_file_replace() - replace @path by @text atomically: a temporary file
 * in the same directory with @mode, fsync, rename over @path, fsync of the
 * directory. Return: 0 or a negative errno; on failure @path is untouched.
 */
int xlb_file_replace(const char *path, const char *text, mode_t mode);

/**
 * xlb_file_read() - the whole of @path, at most @max bytes
 * @buf: set to a malloc'd copy with a NUL after it (free() it)
 * @len: set to its length without the NUL
 *
 * Return: 0, -EFBIG if the file holds more than @max bytes, -EIO on a read
 * error, or the negative errno of opening it.
 */
int xlb_file_read(const char *path, size_t max, char **buf, size_t *len);

#endif /* XLB_FILE_H */

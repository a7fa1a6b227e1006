/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: the backend-host command of xlbctl (backend_host.c)
 */
#ifndef XLBCTL_BACKEND_HOST_CMD_H
#define XLBCTL_BACKEND_HOST_CMD_H

#include <stdbool.h>

/**
 * xlbctl_backend_host() - "xlbctl backend-host VERB ARGS..."
 * @argc: arguments from the verb on
 * @argv: the verb, then its arguments
 * @json: -j was given before the object
 *
 * Return: the exit status (0 done, 1 failed, 2 usage error).
 */
int xlbctl_backend_host(int argc, char **argv, bool json);

#endif /* XLBCTL_BACKEND_HOST_CMD_H */

/*
 * privdrop.c: see privdrop.h. Order matters: groups first, while we may still change
 * them, then the uid; finally check that root cannot be regained.
 */
#include "rexian/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int rx_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		snprintf(err, errlen, "--user %s: no such user", user);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		snprintf(err, errlen, "--user %s: %s", user, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		snprintf(err, errlen, "--user %s: root could be regained", user);
		return -1;
	}
	return 0;
}

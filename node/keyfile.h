/*
 * node/: the identity key file.
 *
 * A node is its secp256k1 key; the secret lives in one small text file in the data
 * directory, written once and read at every start:
 *
 *     # hearsay identity secret key - keep this file private
 *     <64 lowercase hex digits>
 *
 * (each line ends in "\n"; nothing else may be in the file). The driver reads it here and
 * hands the bytes to crypto/, which keeps the only long-lived copy; every buffer this
 * module fills with the secret (read buffer, decoded bytes) is wiped on every path.
 *
 * Invariants: a loaded key file is a regular file (not a symlink, FIFO or directory), its
 * mode gives no permission to group or others, and its content is exactly the format above.
 * A new file is created with O_EXCL and mode 0600 and synced (file and directory) before it
 * is read back, so a crash never leaves a half-written key that a restart would trust.
 *
 * Attacker model: another local user may try to read the key (refused: we will not run on a
 * key others can read), or plant a symlink or a different file at the path (refused: no
 * symlinks, no pre-existing file is overwritten). The file's content is not trusted: any
 * deviation from the format is an error with a message that says what is wrong.
 */
#ifndef HEARSAY_KEYFILE_H
#define HEARSAY_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/crypto.h"
#include "hearsay/error.h"

/* The first line of every key file, without its newline. */
#define HS_KEYFILE_HEADER "# hearsay identity secret key - keep this file private"

/*
 * Loads the identity in the key file at path into *out (freed with hs_identity_del).
 *
 * If the file does not exist and create is true, a new secret is drawn from libsodium's
 * randombytes_buf (the caller has called sodium_init), written to a new file (mode 0600,
 * O_EXCL, fsync) and then loaded back through the same checks.
 *
 * Returns 0, or:
 *   HS_ERR_NOT_FOUND  the file does not exist and create is false;
 *   HS_ERR_KEY_PERMS  group or others have any permission on the file (fix: chmod 600);
 *   HS_ERR_KEY_FILE   a symlink or non-regular file, or content not in the format above
 *                     (including a secret that is zero or not below the curve order);
 *   HS_ERR_IO         the operating system refused (open, read, write, fsync);
 *   HS_ERR_NOMEM.
 * On error *out is NULL and, if errlen > 0, err holds one line naming the path, what is
 * wrong and how to fix it; on success err is the empty string. err never contains key bytes.
 */
HS_MUST_USE int hs_keyfile_load(struct hs_identity **out, const struct hs_crypto *crypto,
                                const char *path, bool create, char *err, size_t errlen);

#endif

"""Secret files handed from the odoo-init service to the sidecar through the `bridge-secrets` volume.

The two containers run as different users: odoo-init's Odoo runs as the odoo image's `odoo` user (a
system uid), the sidecar as the node image's `node` user (uid 1000, gid 1000). The contract, by
construction rather than by luck:

- odoo-init (as root) makes the directory owned by `odoo`, group = the sidecar's gid, mode 2750
  (`prepare_dir`): the set-group-id bit gives every file created in it that group, whoever creates it;
- `write_secret` creates each file as `odoo` with mode 0440 and checks that the file really got the
  sidecar's group before it replaces the old one, so a directory that is not set up that way fails here,
  loudly, instead of in the sidecar as EACCES.

Readable by the sidecar (its group) and by the writer in the one-shot init container; nobody else.
"""
import json
import os
import secrets
import sys

SECRET_MODE = 0o440
DIR_MODE = 0o2750


class SecretFileError(Exception):
    """A secret file cannot be written so that its reader can read it."""


def prepare_dir(directory, writer, reader_gid):
    """(root) The handoff directory: owner `writer` (a user name), group `reader_gid`, mode 2750."""
    import pwd

    os.makedirs(directory, exist_ok=True)
    os.chown(directory, pwd.getpwnam(writer).pw_uid, reader_gid)
    os.chmod(directory, DIR_MODE)


def write_secret(path, text, reader_gid):
    """Atomically replaces `path` with `text`, mode 0440, group `reader_gid` (from the directory)."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, '.%s.tmp' % os.path.basename(path))
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SECRET_MODE)
    try:
        os.fchmod(fd, SECRET_MODE)  # the umask may have taken bits away; this is the mode we promise
        st = os.fstat(fd)
        if st.st_gid != reader_gid:
            raise SecretFileError(
                '%s: new files get group %d, the reader needs group %d: the directory must be '
                'group %d with the set-group-id bit (bridge_secrets.py prepare-dir %s <writer> %d, as root)'
                % (path, st.st_gid, reader_gid, reader_gid, directory, reader_gid))
        with os.fdopen(fd, 'w') as fh:
            fd = None
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd is not None:
            os.close(fd)
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def read_secret(path):
    """The file's text without a trailing newline, or None when there is no such file."""
    try:
        with open(path) as fh:
            return fh.read().rstrip('\r\n')
    except FileNotFoundError:
        return None


def demo_gateway_tokens(example):
    """The example token file with every token replaced by a new random one (no shared default)."""
    tokens = json.loads(example)
    for entry in tokens.values():
        entry['token'] = secrets.token_urlsafe(24)
    return json.dumps(tokens, indent=2) + '\n'


USAGE = """usage: bridge_secrets.py prepare-dir <dir> <writer-user> <reader-gid>     (as root)
       bridge_secrets.py gateway-tokens <example.json> <dest> <reader-gid>
"""


def main(argv):
    """`prepare-dir`: the handoff directory. `gateway-tokens`: `dest` from the example once, kept after."""
    if len(argv) == 4 and argv[0] == 'prepare-dir':
        prepare_dir(argv[1], argv[2], int(argv[3]))
        return 0
    if len(argv) == 4 and argv[0] == 'gateway-tokens':
        example, dest, gid = argv[1], argv[2], int(argv[3])
        if read_secret(dest) is not None:
            print('gateway tokens: kept %s' % dest)
            return 0
        with open(example) as fh:
            write_secret(dest, demo_gateway_tokens(fh.read()), gid)
        print('gateway tokens: generated %s' % dest)
        return 0
    sys.stderr.write(USAGE)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

// What Swift's Glibc module leaves out: setns(2) is only declared with _GNU_SOURCE, which must not
// leak into every importer.
#pragma once
extern int setns(int fd, int nstype);
static const int switchyard_clone_newnet = 0x40000000; // CLONE_NEWNET

// SCM_RIGHTS (fds.c: CMSG_* are macros Swift cannot call). No system header here: a header this
// module included would own those declarations, hiding them from files that import only Glibc.

/// Sends `length` bytes of `data` with `count` (≤ 16) descriptors attached; returns sendmsg's result.
long switchyard_send_fds(int socket, const int *fds, int count, const void *data, unsigned long length);

/// Receives up to `length` bytes into `data` and up to 16 descriptors into `fds` (`*count` set, each
/// close-on-exec); returns recvmsg's result.
long switchyard_receive_fds(int socket, int *fds, int *count, void *data, unsigned long length);

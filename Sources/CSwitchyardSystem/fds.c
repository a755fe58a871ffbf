// SCM_RIGHTS descriptor passing for SocketHandover (CMSG_* are macros Swift cannot call).
#include "shim.h"
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

/// Sends `length` bytes of `data` with `count` (≤ 16) descriptors attached; returns sendmsg's result.
long switchyard_send_fds(int socket, const int *fds, int count, const void *data, unsigned long length) {
    if (count < 0 || count > 16) return -1;
    char control[CMSG_SPACE(sizeof(int) * 16)];
    memset(control, 0, sizeof(control));
    struct iovec vector = { .iov_base = (void *)data, .iov_len = length };
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1 };
    if (count > 0) {
        message.msg_control = control;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * count);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * count);
        memcpy(CMSG_DATA(header), fds, sizeof(int) * count);
    }
    return sendmsg(socket, &message, MSG_NOSIGNAL);
}

/// Receives up to `length` bytes into `data` and up to 16 descriptors into `fds` (`*count` set, each
/// close-on-exec); returns recvmsg's result.
long switchyard_receive_fds(int socket, int *fds, int *count, void *data, unsigned long length) {
    char control[CMSG_SPACE(sizeof(int) * 16)];
    struct iovec vector = { .iov_base = data, .iov_len = length };
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
    *count = 0;
    ssize_t received = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    if (received < 0) return received;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        int n = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        if (n > 16 - *count) n = 16 - *count;
        memcpy(fds + *count, CMSG_DATA(header), sizeof(int) * n);
        *count += n;
    }
    return received;
}

// The DNS server's UDP loop: datagram batches, its wake-up descriptor and its thread's priority (see shim.h).
#define _GNU_SOURCE
#include "shim.h"
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { address_size = 128, most = 64 };

int switchyard_receive_datagrams(int fd, unsigned char *buffers, unsigned size, unsigned count, unsigned *lengths,
                                 unsigned char *addresses, unsigned *address_lengths) {
    if (count > most) count = most;
    struct mmsghdr messages[most];
    struct iovec vectors[most];
    memset(messages, 0, sizeof(struct mmsghdr) * count);
    for (unsigned i = 0; i < count; i++) {
        vectors[i].iov_base = buffers + (size_t)i * size;
        vectors[i].iov_len = size;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = addresses + (size_t)i * address_size;
        messages[i].msg_hdr.msg_namelen = address_size;
    }
    int received = recvmmsg(fd, messages, count, MSG_DONTWAIT, NULL);
    for (int i = 0; i < received; i++) {
        lengths[i] = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) ? 0 : messages[i].msg_len;
        address_lengths[i] = messages[i].msg_hdr.msg_namelen;
    }
    return received;
}

int switchyard_send_datagrams(int fd, const unsigned char *buffers, unsigned size, const unsigned *lengths,
                              const unsigned char *addresses, const unsigned *address_lengths, const unsigned *slots,
                              unsigned count) {
    if (count > most) count = most;
    struct mmsghdr messages[most];
    struct iovec vectors[most];
    memset(messages, 0, sizeof(struct mmsghdr) * count);
    for (unsigned i = 0; i < count; i++) {
        unsigned slot = slots[i];
        vectors[i].iov_base = (void *)(buffers + (size_t)slot * size);
        vectors[i].iov_len = lengths[slot];
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_name = (void *)(addresses + (size_t)slot * address_size);
        messages[i].msg_hdr.msg_namelen = address_lengths[slot];
    }
    return sendmmsg(fd, messages, count, MSG_DONTWAIT | MSG_NOSIGNAL);
}

int switchyard_eventfd(void) {
    return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

int switchyard_wait_readable(int fd, int wake) {
    struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = wake, .events = POLLIN}};
    int result = poll(fds, 2, -1);
    if (result > 0 && (fds[1].revents & POLLIN)) {
        uint64_t value;
        (void)!read(wake, &value, sizeof(value));
    }
    return result;
}

int switchyard_set_thread_nice(int nice) {
    return setpriority(PRIO_PROCESS, (id_t)gettid(), nice);
}

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

// Datagram batches for the DNS server's UDP loop (datagrams.c): recvmmsg/sendmmsg and eventfd are
// GNU extensions the Glibc module does not declare. Slot i of a batch is the bytes at
// `buffers + i * size` and the peer address (a sockaddr_storage, 128 bytes) at `addresses + i * 128`.

/// Receives up to `count` (≤ 64) datagrams without blocking into consecutive slots; sets their
/// lengths (`lengths`, a truncated datagram's is 0) and senders (`addresses`, `address_lengths`).
/// Returns how many, or -1 with errno (EAGAIN: none queued).
int switchyard_receive_datagrams(int fd, unsigned char *buffers, unsigned size, unsigned count, unsigned *lengths,
                                 unsigned char *addresses, unsigned *address_lengths);

/// Sends `count` (≤ 64) datagrams, the slots listed in `slots`, each `lengths[slot]` bytes to its
/// slot's address. Returns how many were sent (the first ones), or -1 with errno for the first.
int switchyard_send_datagrams(int fd, const unsigned char *buffers, unsigned size, const unsigned *lengths,
                              const unsigned char *addresses, const unsigned *address_lengths, const unsigned *slots,
                              unsigned count);

/// A non-blocking, close-on-exec eventfd, or -1.
int switchyard_eventfd(void);

/// Waits until `fd` (skipped when negative) or `wake` is readable; empties `wake`. Returns poll's result.
int switchyard_wait_readable(int fd, int wake);

/// Sets the calling thread's nice value (setpriority on its thread id); returns 0 or -1 with errno
/// (EACCES/EPERM: lowering it needs CAP_SYS_NICE).
int switchyard_set_thread_nice(int nice);

/// The allocator's bytes allocated by the program, resident (its pages in memory, metadata
/// included) and mapped (jemalloc's stats; allocator.c). Returns 0, or -1 when mallctl failed.
int switchyard_heap_statistics(unsigned long *allocated, unsigned long *resident, unsigned long *mapped);

/// Returns every arena's freed pages to the kernel now (jemalloc's `arena.<all>.purge`; allocator.c).
/// Returns mallctl's result.
int switchyard_release_freed_memory(void);

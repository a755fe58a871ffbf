// What Swift's Glibc module leaves out: setns(2) is only declared with _GNU_SOURCE, which must not
// leak into every importer.
#pragma once
extern int setns(int fd, int nstype);
static const int switchyard_clone_newnet = 0x40000000; // CLONE_NEWNET

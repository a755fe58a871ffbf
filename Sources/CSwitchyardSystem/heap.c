// glibc's heap statistics: <malloc.h> is not in Swift's Glibc module.
#include <malloc.h>
#include "shim.h"

void switchyard_heap_statistics(unsigned long *in_use, unsigned long *free_bytes, unsigned long *mapped) {
    struct mallinfo2 info = mallinfo2();
    *in_use = info.uordblks + info.hblkhd;
    *free_bytes = info.fordblks;
    *mapped = info.hblkhd;
}

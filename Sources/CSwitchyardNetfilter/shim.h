// libnftnl + libmnl for Swift. <netinet/in.h> must come before any linux/*.h header, or the two
// definitions of the in/in6 structs clash. libnftnl's pkg-config file does not pull in libmnl, so
// the module map links both.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/batch.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <libnftnl/gen.h>
#include <libnftnl/udata.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

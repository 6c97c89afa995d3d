// Package alloc hands out free addresses from address pools.
//
// A [Pool] tracks which addresses of an inclusive range are free. It finds
// a free address in time that depends on the size of the range, not on how
// full it is: a bitmap of free addresses sits under a tree of free counts,
// 64 children to a node, so a search inspects a few words per level (four
// levels for a /8) whether the pool is empty or 99 % used.
//
// Three strategies choose among the free addresses, as Kea's allocators do:
//
//   - [Iterative] hands out addresses in order, continuing after the last
//     one it gave, and wraps around at the end of the range.
//   - [Random] picks uniformly among the free addresses.
//   - [FreeLeaseQueue] hands out the address that has been free longest,
//     so a released address is reused as late as possible.
//
// A Pool is safe for concurrent use. It knows nothing of leases, clients or
// reservations: the server marks addresses used when it loads leases or
// reserves addresses for hosts, and frees them when leases are released or
// reclaimed.
package alloc

// Package ipam hands out IPv4 addresses of one subnet to owners (VM IDs)
// and remembers them on disk, so that an address is never given to two
// owners at once and survives a restart of the process that allocated it.
//
// Each allocation is a file named after the address in the allocator's
// directory, created with O_EXCL and holding the owner's ID: the file
// system is the only source of truth, so two allocators over the same
// directory (a Supervisor and its successor) agree. A cursor file makes
// allocation round-robin, so a released address is not reused at once.
package ipam

// Package lbipam hands out load-balancer addresses from pools of address
// ranges, as the load-balancer IP ranges of a vSphere Supervisor do.
//
// A pool is a list of CIDRs (198.19.0.0/16) and inclusive ranges
// (198.19.0.10-198.19.0.99). Pools are tried in name order; within a pool
// addresses are handed out in ascending order from a cursor that moves past
// each new allocation, so an address that was just released is not handed
// out again at once. An address belongs to at most one owner at a time.
//
// The Allocator is in memory only. Its owner (the VirtualMachineService
// controller) records every allocation on the API object that holds it and
// rebuilds the Allocator with Restore when the Supervisor starts, before it
// hands out anything new.
package lbipam
